package io.ephemeral.cvmfs.dataplane.api;

import static io.ephemeral.cvmfs.dataplane.api.RouteTable.Access.ANY_TOKEN;
import static io.ephemeral.cvmfs.dataplane.api.RouteTable.Access.PUBLIC;
import static io.ephemeral.cvmfs.dataplane.api.RouteTable.Access.TOKEN;
import static io.ephemeral.cvmfs.dataplane.api.RouteTable.Body.FORM;
import static io.ephemeral.cvmfs.dataplane.api.RouteTable.Body.NONE;
import static io.netty.handler.codec.http.HttpMethod.DELETE;
import static io.netty.handler.codec.http.HttpMethod.GET;
import static io.netty.handler.codec.http.HttpMethod.POST;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ephemeral.cvmfs.dataplane.api.InvalidParameterException.Location;
import io.ephemeral.cvmfs.dataplane.api.InvalidParameterException.Problem;
import io.ephemeral.cvmfs.dataplane.api.QueryParameters.Parameter;
import io.ephemeral.cvmfs.dataplane.http.RequestFacts;
import io.ephemeral.cvmfs.dataplane.http.WriteAuthorizer;
import io.ephemeral.cvmfs.dataplane.maintenance.GarbageCollector;
import io.ephemeral.cvmfs.dataplane.notify.RevisionAnnouncer;
import io.ephemeral.cvmfs.dataplane.publish.PublishException;
import io.ephemeral.cvmfs.dataplane.publish.PublishFormat;
import io.ephemeral.cvmfs.dataplane.publish.PublishResult;
import io.ephemeral.cvmfs.dataplane.publish.PublishService;
import io.ephemeral.cvmfs.dataplane.publish.PublishedFile;
import io.ephemeral.cvmfs.dataplane.repository.Head;
import io.ephemeral.cvmfs.dataplane.repository.Publication;
import io.ephemeral.cvmfs.dataplane.repository.Repository;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.multipart.FileUpload;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * The endpoints of the earlier cvmfs-ephemeral service ({@code /repos/…}, {@code /gc}, {@code
 * /housekeeping}, {@code /resign}) with their paths, status codes and JSON field names, so that pipelines written
 * for it keep working. Each top-level name is a publication: an uploaded file, or with {@code
 * unpack} a flattened image. Unlike the earlier service, writing needs the repository's token
 * unless the data plane runs with {@code --legacy-api-without-token}.
 */
public final class LegacyApiRoute {

  private static final String RESERVED = "ttl.json";
  private static final long DEFAULT_TTL_SECONDS = 7200;

  static final Parameter<Long> UPLOAD_TTL = QueryParameters.integer("ttl_s", DEFAULT_TTL_SECONDS);
  static final Parameter<Long> TTL = QueryParameters.integer("ttl_s", null);
  static final Parameter<Boolean> UNPACK = QueryParameters.flag("unpack");
  static final Parameter<Boolean> OVERWRITE = QueryParameters.flag("overwrite");

  // Bad values of these are answered as the earlier service (FastAPI) answered them: 422 and a
  // list of errors. Parameters it did not have, such as dryRun, get a plain 400.
  private static final Set<String> EARLIER_PARAMETERS = Set.of("ttl_s", "unpack", "overwrite", "file");

  private final PublishService service;
  private final Map<String, GarbageCollector> collectors;
  private final RevisionAnnouncer announcer;

  private LegacyApiRoute(PublishService service, Map<String, GarbageCollector> collectors, RevisionAnnouncer announcer) {
    this.service = service;
    this.collectors = collectors;
    this.announcer = announcer;
  }

  /** The earlier service's endpoints; uploaded files beyond a small size go to the folder {@code scratch} names. */
  public static RouteTable table(PublishService service, WriteAuthorizer authorizer, boolean withoutToken,
      Map<String, GarbageCollector> collectors, RevisionAnnouncer announcer, Function<String, Path> scratch) {
    LegacyApiRoute legacy = new LegacyApiRoute(service, collectors, announcer);
    return RouteTable.builder(new Dialect(service, authorizer, withoutToken)).owning("/repos/").formFilesIn(scratch)
        .add(POST, "/gc", ANY_TOKEN, NONE, legacy::gc, MaintenanceRoute.DRY_RUN)
        .add(POST, "/housekeeping", ANY_TOKEN, NONE, legacy::housekeeping)
        .add(POST, "/resign", ANY_TOKEN, NONE, legacy::resign)
        .add(GET, "/repos/{repo}", PUBLIC, NONE, legacy::list)
        .add(POST, "/repos/{repo}", TOKEN, FORM, legacy::upload, UPLOAD_TTL, UNPACK, OVERWRITE)
        .add(POST, "/repos/{repo}/clean", TOKEN, NONE, legacy::clean)
        .add(POST, "/repos/{repo}/notify", TOKEN, NONE, legacy::notify)
        .add(GET, "/repos/{repo}/{path}", PUBLIC, NONE, legacy::download)
        .add(DELETE, "/repos/{repo}/{path}", TOKEN, NONE, legacy::delete)
        .add(POST, "/repos/{repo}/{path}/ttl", TOKEN, NONE, legacy::changeTtl, TTL)
        .build();
  }

  private void gc(ApiCall call) throws Exception {
    long start = System.nanoTime();
    for (GarbageCollector collector : collectors.values()) {
      collector.collect(call.query(MaintenanceRoute.DRY_RUN));
    }
    call.send(HttpResponseStatus.OK, message("Garbage collection completed").put("gc_time_s", seconds(start)));
  }

  private void housekeeping(ApiCall call) throws Exception {
    long start = System.nanoTime();
    service.expire();
    for (GarbageCollector collector : collectors.values()) {
      collector.collect(false);
    }
    call.send(HttpResponseStatus.OK, message("Housekeeping completed").put("housekeeping_time_s", seconds(start)));
  }

  /**
   * Signs a fresh whitelist ({@link Repository#WHITELIST_VALIDITY}) for every repository served
   * here, as the earlier service's {@code cvmfs_server resign} did; all or none: where a master
   * key is not here (it is kept by the operator, or offline), 409 and nothing is signed.
   */
  private void resign(ApiCall call) throws Exception {
    long start = System.nanoTime();
    List<Repository> repositories = new ArrayList<>();
    for (String fqrn : service.repositories()) {
      repositories.add(service.publisher(fqrn).repository());
    }
    List<String> keyless = repositories.stream().filter(repository -> repository.keys().masterKey().isEmpty())
        .map(Repository::fqrn).sorted().toList();
    if (!keyless.isEmpty()) {
      call.error(ApiError.of(HttpResponseStatus.CONFLICT, "no_master_key", "No master key here for "
          + String.join(", ", keyless) + ": its whitelist is signed where that key is kept; nothing was signed"));
      return;
    }
    for (Repository repository : repositories) {
      repository.resignWhitelist(Repository.WHITELIST_VALIDITY);
    }
    call.send(HttpResponseStatus.OK, message("Whitelists re-signed").put("resign_time_s", seconds(start)));
  }

  private void list(ApiCall call) throws Exception {
    ArrayNode files = JsonResponses.JSON.createArrayNode();
    for (Publication publication : service.publications(call.repo())) {
      if (publication.isFile() && publication.path().lastIndexOf('/') == 0) {
        files.add(publication.path().substring(1));
      }
    }
    call.send(HttpResponseStatus.OK, JsonResponses.JSON.createObjectNode().set("files", files));
  }

  private void upload(ApiCall call) throws Exception {
    if (!(call.formPart("file") instanceof FileUpload file)) {
      throw InvalidParameterException.missing(Location.BODY, "file", "file");
    }
    String filename = file.getFilename();
    if (filename.equals(RESERVED)) {
      call.error(badRequest("Filename " + RESERVED + " is not allowed"));
      return;
    }
    call.repositoryPath("/" + filename);
    PublishResult result;
    try (InputStream content = file.isInMemory() ? new ByteArrayInputStream(file.get())
        : Files.newInputStream(file.getFile().toPath())) {
      result = service.publish(call.repo(), filename, content,
          call.query(UNPACK) ? PublishFormat.DOCKER_ARCHIVE : PublishFormat.FILE, call.query(UPLOAD_TTL) + "s",
          call.query(OVERWRITE));
    } catch (PublishException e) {
      if (e.reason() != PublishException.Reason.CONFLICT) {
        throw e;
      }
      call.error(ApiError.of(HttpResponseStatus.CONFLICT, "conflict", "File " + filename + " already exists"));
      return;
    }
    call.revision(result.revision());
    call.send(HttpResponseStatus.OK, JsonResponses.JSON.createObjectNode()
        .put("filename", filename)
        .put("content_type", file.getContentType())
        .put("expires_at", result.expiresAt().toEpochMilli() / 1000.0)
        .put("upload_time_s", result.ingest().toNanos() / 1e9)
        .put("publish_time_s", result.commit().toNanos() / 1e9));
  }

  private void clean(ApiCall call) throws Exception {
    List<String> removed = service.expire(call.repo());
    if (!removed.isEmpty()) {
      call.revision(currentRevision(call.repo()));
    }
    call.send(HttpResponseStatus.OK,
        message("Cleaned up " + removed.size() + " expired files in repo: " + call.repo() + ". Errors: 0"));
  }

  private void notify(ApiCall call) throws Exception {
    announcer.announceServed(service.publisher(call.repo()).repository());
    call.revision(currentRevision(call.repo()));
    call.send(HttpResponseStatus.OK, message("Notified clients about changes in repo " + call.repo()));
  }

  private void download(ApiCall call) throws Exception {
    Publication publication = requirePublished(call.repo(), call.path());
    if (!publication.isFile()) {
      call.error(badRequest(call.path() + " is a directory"));
      return;
    }
    call.revision(publication.revision());
    ChannelHandlerContext ctx = call.ctx();
    HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
    head.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/octet-stream")
        .set(HttpHeaderNames.CONTENT_LENGTH, publication.file().size());
    HttpUtil.setKeepAlive(head, HttpUtil.isKeepAlive(call.request()));
    ctx.writeAndFlush(head);
    try (InputStream in = PublishedFile.open(service.publisher(call.repo()).repository().objects(), publication.file())) {
      byte[] buffer = new byte[64 * 1024];
      for (int n; (n = in.readNBytes(buffer, 0, buffer.length)) > 0; ) {
        var written = ctx.writeAndFlush(new DefaultHttpContent(Unpooled.copiedBuffer(buffer, 0, n)));
        // Back-pressure: a slow client must not make the whole file pile up in memory.
        if (!ctx.channel().isWritable()) {
          written.syncUninterruptibly();
        }
      }
    }
    ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
  }

  private void delete(ApiCall call) throws Exception {
    String target = call.path();
    if (target.equals(RESERVED)) {
      call.error(badRequest("Target `" + RESERVED + "` is not allowed"));
      return;
    }
    requirePublished(call.repo(), target);
    Head head = service.remove(call.repo(), target);
    call.revision(head.revision());
    call.send(HttpResponseStatus.OK, JsonResponses.JSON.createObjectNode().put("target_name", target));
  }

  private void changeTtl(ApiCall call) throws Exception {
    String file = call.path();
    if (file.equals(RESERVED)) {
      call.error(badRequest("Filename " + RESERVED + " is not allowed"));
      return;
    }
    long ttl = call.query(TTL);
    requirePublished(call.repo(), file);
    Publication updated = service.setTtl(call.repo(), file, ttl + "s");
    call.revision(updated.revision());
    call.send(HttpResponseStatus.OK, JsonResponses.JSON.createObjectNode().put("filename", file).put("ttl_s", ttl));
  }

  private Publication requirePublished(String repo, String name) throws PublishException {
    return service.publication(repo, name).orElseThrow(() -> new PublishException(PublishException.Reason.NOT_FOUND,
        "File " + name + " does not exist in repo " + repo));
  }

  private long currentRevision(String repo) throws IOException {
    return service.publisher(repo).repository().head().map(Head::revision).orElse(-1L);
  }

  private static double seconds(long startNanos) {
    return (System.nanoTime() - startNanos) / 1e9;
  }

  private static ObjectNode message(String text) {
    return JsonResponses.JSON.createObjectNode().put("message", text);
  }

  private static ApiError badRequest(String detail) {
    return ApiError.of(HttpResponseStatus.BAD_REQUEST, "invalid_request", detail);
  }

  /**
   * The earlier service's checks and error shapes: {@code {"detail": TEXT}}, or FastAPI's list
   * for bad parameters it declared; an unknown repository is 404 before anything else.
   */
  private record Dialect(PublishService service, WriteAuthorizer authorizer, boolean withoutToken)
      implements RouteTable.Dialect {

    @Override
    public Optional<ApiError> refusal(RouteTable.Endpoint endpoint, ApiCall call) {
      String repo = call.repo();
      if (repo != null && !service.repositories().contains(repo)) {
        boolean aboutAFile = call.path() != null && !endpoint.method().equals(HttpMethod.POST);
        return Optional.of(ApiError.of(HttpResponseStatus.NOT_FOUND, "not_found", aboutAFile
            ? "File " + call.path() + " does not exist in repo " + repo : "Repo " + repo + " does not exist"));
      }
      if (withoutToken || endpoint.access() == RouteTable.Access.PUBLIC) {
        return Optional.empty();
      }
      if (endpoint.access() == RouteTable.Access.TOKEN) {
        return authorizer.check(call.request(), repo).map(status -> ApiError.refusal(status, repo));
      }
      if (service.repositories().stream().anyMatch(any -> authorizer.check(call.request(), any).isEmpty())) {
        return Optional.empty();
      }
      return Optional.of(call.request().headers().contains(HttpHeaderNames.AUTHORIZATION)
          ? ApiError.of(HttpResponseStatus.FORBIDDEN, "forbidden", "the token is not valid for any repository")
          : ApiError.of(HttpResponseStatus.UNAUTHORIZED, "unauthorized", "writing needs Authorization: Bearer <token>"));
    }

    @Override
    public ApiError notFound(String path) {
      return ApiError.of(HttpResponseStatus.NOT_FOUND, "not_found", "Not Found");
    }

    @Override
    public ApiError methodNotAllowed(HttpMethod method) {
      return ApiError.of(HttpResponseStatus.METHOD_NOT_ALLOWED, "method_not_allowed", "Method Not Allowed");
    }

    @Override
    public void answer(ChannelHandlerContext ctx, ApiError error, boolean keepAlive, HttpHeaders headers) {
      int code = error.status().code();
      // The earlier service answered every failure of its own as 500.
      HttpResponseStatus status = code >= 500 && code != 503 && code != 507
          ? HttpResponseStatus.INTERNAL_SERVER_ERROR : error.status();
      RequestFacts.of(ctx.channel()).errorCode(error.code());
      JsonResponses.send(ctx, status, JsonResponses.JSON.createObjectNode().put("detail", error.detail()), keepAlive,
          headers);
    }

    @Override
    public void answer(ChannelHandlerContext ctx, InvalidParameterException invalid, boolean keepAlive) {
      if (!EARLIER_PARAMETERS.contains(invalid.name())) {
        answer(ctx, invalid.error(), keepAlive, null);
        return;
      }
      String type;
      String message;
      if (invalid.problem() == Problem.MISSING) {
        type = "missing";
        message = "Field required";
      } else if (invalid.problem() == Problem.MALFORMED && invalid.type().equals("flag")) {
        type = "bool_parsing";
        message = "Input should be a valid boolean, unable to interpret input";
      } else if (invalid.problem() == Problem.MALFORMED && invalid.type().equals("integer")) {
        type = "int_parsing";
        message = "Input should be a valid integer, unable to parse string as an integer";
      } else {
        type = "value_error";
        message = invalid.getMessage();
      }
      ObjectNode error = JsonResponses.JSON.createObjectNode().put("type", type).put("msg", message);
      error.putArray("loc").add(invalid.location() == Location.QUERY ? "query" : "body").add(invalid.name());
      ObjectNode body = JsonResponses.JSON.createObjectNode();
      body.putArray("detail").add(error);
      RequestFacts.of(ctx.channel()).errorCode("invalid_parameter");
      JsonResponses.send(ctx, HttpResponseStatus.UNPROCESSABLE_ENTITY, body, keepAlive);
    }
  }
}
