package io.ephemeral.cvmfs.dataplane.api;

import static io.ephemeral.cvmfs.dataplane.api.RouteTable.Access.PUBLIC;
import static io.ephemeral.cvmfs.dataplane.api.RouteTable.Access.TOKEN;
import static io.ephemeral.cvmfs.dataplane.api.RouteTable.Body.BYTES;
import static io.ephemeral.cvmfs.dataplane.api.RouteTable.Body.JSON;
import static io.ephemeral.cvmfs.dataplane.api.RouteTable.Body.NONE;
import static io.ephemeral.cvmfs.dataplane.api.RouteTable.Body.STREAMED;
import static io.netty.handler.codec.http.HttpMethod.DELETE;
import static io.netty.handler.codec.http.HttpMethod.GET;
import static io.netty.handler.codec.http.HttpMethod.HEAD;
import static io.netty.handler.codec.http.HttpMethod.PATCH;
import static io.netty.handler.codec.http.HttpMethod.POST;
import static io.netty.handler.codec.http.HttpMethod.PUT;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ephemeral.cvmfs.common.publish.ImageReference;
import io.ephemeral.cvmfs.dataplane.api.InvalidParameterException.Location;
import io.ephemeral.cvmfs.dataplane.api.QueryParameters.Parameter;
import io.ephemeral.cvmfs.dataplane.http.WriteAuthorizer;
import io.ephemeral.cvmfs.dataplane.publish.PublishFormat;
import io.ephemeral.cvmfs.dataplane.publish.PublishOperation;
import io.ephemeral.cvmfs.dataplane.publish.PublishOperations;
import io.ephemeral.cvmfs.dataplane.publish.PublishResult;
import io.ephemeral.cvmfs.dataplane.publish.PublishService;
import io.ephemeral.cvmfs.dataplane.publish.StagedUploads;
import io.ephemeral.cvmfs.dataplane.repository.Head;
import io.ephemeral.cvmfs.dataplane.repository.Publication;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The publish API under {@code /api/v1/repos/}, with the maintenance endpoints beside it. Bodies
 * of publishes are streamed to a worker thread, which runs the blocking publish and answers when
 * the revision is served; small JSON bodies are collected first. Errors are {@code {"error":
 * CODE, "detail": TEXT}}.
 *
 * <p>A publish from a URL or a staged upload sent with {@code Prefer: respond-async} (RFC 7240)
 * is answered 202 at once with an operation, which {@code GET .../operations/ID} reads until it
 * succeeded or failed: a caller need not hold a connection, or a thread, while a large source
 * downloads. The publish itself goes on on the same worker.
 */
public final class ApiRoute {

  private static final Logger LOG = LoggerFactory.getLogger(ApiRoute.class);

  static final Parameter<String> TTL = QueryParameters.text("ttl");
  static final Parameter<Boolean> OVERWRITE = QueryParameters.flag("overwrite");
  /** The {@code Prefer} token (RFC 7240) that asks for an answer before the publish is done. */
  static final String RESPOND_ASYNC = "respond-async";
  /** A SHA-256 in hex, as a client declares the digest of a body. */
  static final Parameter<String> SHA256 = QueryParameters.of("sha256", "sha256", ApiRoute::sha256Hex);
  private static final java.util.regex.Pattern PLATFORM =
      java.util.regex.Pattern.compile("[a-z0-9]+/[a-z0-9_]+(/[a-z0-9]+)?");
  static final Parameter<PublishFormat> FORMAT = QueryParameters.of("format", "format", PublishFormat::fromQuery);

  private final PublishService service;
  private final PublishOperations operations;
  private final ApiRepositoryInfo info;

  private ApiRoute(PublishService service, PublishOperations operations, ApiRepositoryInfo info) {
    this.service = service;
    this.operations = operations;
    this.info = info;
  }

  /** The endpoints of the v1 API. */
  public static RouteTable table(PublishService service, PublishOperations operations, WriteAuthorizer authorizer,
      ApiRepositoryInfo info, MaintenanceRoute maintenance, TagRoute tags) {
    ApiRoute api = new ApiRoute(service, operations, info);
    String repo = "/api/v1/repos/{repo}";
    return RouteTable.builder(new Dialect(authorizer)).owning("/api/v1/repos/")
        .add(GET, repo, PUBLIC, NONE, api::describe)
        .add(GET, repo + "/paths", PUBLIC, NONE, api::list)
        .add(GET, repo + "/paths/{path...}", PUBLIC, NONE, api::publication)
        .add(PUT, repo + "/paths/{path...}", TOKEN, STREAMED, api::publish, TTL, OVERWRITE, FORMAT, SHA256)
        .add(POST, repo + "/paths/{path...}", TOKEN, JSON, api::publishFrom)
        .add(PATCH, repo + "/paths/{path...}", TOKEN, JSON, api::changeTtl)
        .add(DELETE, repo + "/paths/{path...}", TOKEN, NONE, api::remove)
        .add(POST, repo + "/uploads", TOKEN, STREAMED, api::stage)
        .add(GET, repo + "/operations/{id}", TOKEN, NONE, api::operation)
        .add(GET, repo + "/sources/{source}", PUBLIC, NONE, api::source)
        .add(HEAD, repo + "/sources/{source}", PUBLIC, NONE, api::source)
        .add(POST, repo + "/gc", TOKEN, NONE, maintenance::collect, MaintenanceRoute.DRY_RUN)
        .add(PUT, repo + "/whitelist", TOKEN, BYTES, maintenance::installWhitelist)
        .add(GET, repo + "/tags", PUBLIC, NONE, tags::list)
        .add(POST, repo + "/tags", TOKEN, JSON, tags::create)
        .add(DELETE, repo + "/tags/{name}", TOKEN, NONE, tags::delete)
        .add(POST, repo + "/tags/{name}/rollback", TOKEN, NONE, tags::rollback)
        .build();
  }

  private void describe(ApiCall call) throws Exception {
    call.send(HttpResponseStatus.OK, info.describe(call.repo()));
  }

  private void list(ApiCall call) throws Exception {
    ArrayNode list = JsonResponses.JSON.createArrayNode();
    service.publications(call.repo()).forEach(p -> list.add(ApiJson.publication(p)));
    call.send(HttpResponseStatus.OK, JsonResponses.JSON.createObjectNode().set("publications", list));
  }

  private void publication(ApiCall call) throws Exception {
    Optional<Publication> publication = service.publication(call.repo(), call.path());
    if (publication.isEmpty()) {
      call.error(ApiError.of(HttpResponseStatus.NOT_FOUND, "not_found", "/" + call.path() + " is not published"));
      return;
    }
    call.revision(publication.get().revision());
    call.send(HttpResponseStatus.OK, ApiJson.publication(publication.get()));
  }

  private void publish(ApiCall call) throws Exception {
    PublishResult result = service.publish(call.repo(), call.path(), call.body(), call.query(FORMAT), call.query(TTL),
        call.query(OVERWRITE), call.query(SHA256));
    published(call, result);
  }

  private void publishFrom(ApiCall call) throws Exception {
    JsonNode node = call.json();
    PublishFormat format = PublishFormat.fromQuery(ApiJson.text(node, "format"));
    boolean overwrite = flag(node, OVERWRITE);
    String upload = ApiJson.text(node, "upload");
    String url = ApiJson.text(node, "url");
    String source = ApiJson.text(node, "source");
    String image = ApiJson.text(node, "image");
    if ((upload != null ? 1 : 0) + (url != null ? 1 : 0) + (source != null ? 1 : 0) + (image != null ? 1 : 0) != 1) {
      call.error(ApiError.of(HttpResponseStatus.BAD_REQUEST, "invalid_request",
          "the body needs exactly one of \"upload\", \"url\", \"source\" and \"image\""));
      return;
    }
    String known = source == null ? null : sourceDigest(source, Location.BODY);
    PublishService.ImageSource pull = image == null ? null : imageSource(node, image);
    String ttl = ApiJson.text(node, "ttl");
    Publish publish = () -> {
      if (known != null) {
        return service.publishKnown(call.repo(), call.path(), known, ttl, overwrite);
      }
      if (pull != null) {
        return service.publishImage(call.repo(), call.path(), pull, ttl, overwrite);
      }
      return upload != null ? service.publishUpload(call.repo(), call.path(), upload, format, ttl, overwrite)
          : service.publishUrl(call.repo(), call.path(), url, ApiJson.text(node, "sha256"), format, ttl, overwrite);
    };
    if (prefersAsync(call.request().headers())) {
      publishAsync(call, publish);
    } else {
      published(call, publish.run());
    }
  }

  /** The image, platform and credentials of a body naming an {@code image}, checked before anything is fetched. */
  static PublishService.ImageSource imageSource(JsonNode node, String image) {
    ImageReference reference;
    try {
      reference = ImageReference.parse(image);
    } catch (IllegalArgumentException e) {
      throw new InvalidParameterException(Location.BODY, "image", InvalidParameterException.Problem.MALFORMED,
          "image reference", e.getMessage());
    }
    String platform = ApiJson.text(node, "platform");
    if (platform != null && !PLATFORM.matcher(platform).matches()) {
      throw new InvalidParameterException(Location.BODY, "platform", InvalidParameterException.Problem.MALFORMED,
          "platform", "platform must be os/architecture or os/architecture/variant, e.g. linux/arm64, not '"
          + platform + "'");
    }
    JsonNode credentials = node.get("credentials");
    if (credentials == null || credentials.isNull()) {
      return new PublishService.ImageSource(reference, platform, null, null);
    }
    String username = credentials.isObject() ? ApiJson.text(credentials, "username") : null;
    if (username == null) {
      throw new InvalidParameterException(Location.BODY, "credentials", InvalidParameterException.Problem.MALFORMED,
          "credentials", "credentials must be an object with username and password");
    }
    return new PublishService.ImageSource(reference, platform, username, ApiJson.text(credentials, "password"));
  }

  /** A publish, run now or after the answer. */
  private interface Publish {
    PublishResult run() throws Exception;
  }

  /** Answers 202 with the operation, then publishes on this worker and records the outcome. */
  private void publishAsync(ApiCall call, Publish publish) {
    PublishOperation operation = operations.start(call.repo(), "/" + call.path().replaceAll("^/+", ""));
    HttpHeaders headers = new DefaultHttpHeaders()
        .set(HttpHeaderNames.LOCATION, "/api/v1/repos/" + call.repo() + "/operations/" + operation.id())
        .set("Preference-Applied", RESPOND_ASYNC);
    call.send(HttpResponseStatus.ACCEPTED, ApiJson.operation(operation), headers);
    try {
      PublishResult result = publish.run();
      operations.succeeded(operation.id(), result);
      LOG.info("operation {}: {} published {} in revision {}", operation.id(), call.repo(), result.path(),
          result.revision());
    } catch (Exception | Error e) {
      operations.failed(operation.id(), e);
      ApiError error = ApiError.from(e);
      LOG.warn("operation {}: publishing {} into {} failed: {} {}", operation.id(), operation.path(), call.repo(),
          error.status().code(), error.detail());
    }
  }

  /** Whether bytes with this digest were published and are live, and where: to publish them again without sending them. */
  private void source(ApiCall call) throws Exception {
    String source = sourceDigest(call.variable("source"), Location.QUERY);
    List<Publication> publications = service.withSource(call.repo(), source);
    if (publications.isEmpty()) {
      call.error(ApiError.of(HttpResponseStatus.NOT_FOUND, "unknown_source", "no live publication of " + call.repo()
          + " was published from " + source));
      return;
    }
    ArrayNode list = JsonResponses.JSON.createArrayNode();
    publications.forEach(p -> list.add(ApiJson.publication(p)));
    ObjectNode body = JsonResponses.JSON.createObjectNode().put("source", source);
    body.set("publications", list);
    call.send(HttpResponseStatus.OK, body);
  }

  /** {@code sha256:HEX} (or the bare hex) as {@code sha256:} and lower-case hex. */
  static String sourceDigest(String text, Location location) {
    String hex = text.regionMatches(true, 0, PublishService.SOURCE_PREFIX, 0, PublishService.SOURCE_PREFIX.length())
        ? text.substring(PublishService.SOURCE_PREFIX.length()) : text;
    try {
      return PublishService.SOURCE_PREFIX + sha256Hex(hex);
    } catch (IllegalArgumentException e) {
      throw new InvalidParameterException(location, "source", InvalidParameterException.Problem.MALFORMED, "sha256",
          "source must be sha256: and 64 hex digits, not '" + text + "'");
    }
  }

  private static String sha256Hex(String text) {
    if (!text.matches("[0-9a-fA-F]{64}")) {
      throw new IllegalArgumentException("sha256 must be 64 hex digits");
    }
    return text.toLowerCase(Locale.ROOT);
  }

  private void operation(ApiCall call) throws Exception {
    Optional<PublishOperation> operation = operations.find(call.repo(), call.variable("id"));
    if (operation.isEmpty()) {
      call.error(ApiError.of(HttpResponseStatus.NOT_FOUND, "not_found", "no operation " + call.variable("id")
          + " in " + call.repo() + " (finished ones are kept " + PublishOperations.RETENTION.toMinutes()
          + " minutes, and none survives a restart)"));
      return;
    }
    operation.map(PublishOperation::result).ifPresent(result -> call.revision(result.revision()));
    call.send(HttpResponseStatus.OK, ApiJson.operation(operation.get()));
  }

  /** Whether a {@code Prefer} header (RFC 7240) asks for {@code respond-async}. */
  static boolean prefersAsync(HttpHeaders headers) {
    for (String value : headers.getAll("Prefer")) {
      for (String preference : value.split(",")) {
        String name = preference.split("[;=]", 2)[0].strip();
        if (name.equalsIgnoreCase(RESPOND_ASYNC)) {
          return true;
        }
      }
    }
    return false;
  }

  private static void published(ApiCall call, PublishResult result) {
    call.revision(result.revision());
    call.send(HttpResponseStatus.CREATED, ApiJson.published(result));
  }

  private void changeTtl(ApiCall call) throws Exception {
    Publication updated = service.setTtl(call.repo(), call.path(), ApiJson.text(call.json(), "ttl"));
    call.revision(updated.revision());
    call.send(HttpResponseStatus.OK, ApiJson.publication(updated));
  }

  private void remove(ApiCall call) throws Exception {
    Head head = service.remove(call.repo(), call.path());
    call.revision(head.revision());
    call.send(HttpResponseStatus.OK, JsonResponses.JSON.createObjectNode()
        .put("path", "/" + call.path().replaceAll("^/+", "")).put("revision", head.revision()));
  }

  private void stage(ApiCall call) throws Exception {
    StagedUploads.Upload upload = service.stage(call.repo(), call.body());
    call.send(HttpResponseStatus.CREATED, JsonResponses.JSON.createObjectNode()
        .put("id", upload.id()).put("bytes", upload.bytes()).put("sha256", upload.sha256()));
  }

  // A JSON boolean, or the spellings a query flag accepts.
  private static boolean flag(JsonNode node, Parameter<Boolean> parameter) {
    JsonNode value = node.get(parameter.name());
    if (value == null || value.isNull()) {
      return parameter.absent();
    }
    return value.isBoolean() ? value.booleanValue() : parameter.read(value.asText(), Location.BODY);
  }

  /** Public reads need a repository served here; writes need its token. */
  private record Dialect(WriteAuthorizer authorizer) implements RouteTable.Dialect {

    @Override
    public Optional<ApiError> refusal(RouteTable.Endpoint endpoint, ApiCall call) {
      String repo = call.repo();
      if (endpoint.access() == RouteTable.Access.PUBLIC) {
        return authorizer.knows(repo) ? Optional.empty()
            : Optional.of(ApiError.of(HttpResponseStatus.NOT_FOUND, "not_found", "unknown repository " + repo));
      }
      return authorizer.check(call.request(), repo).map(status -> ApiError.refusal(status, repo));
    }

    @Override
    public ApiError notFound(String path) {
      return ApiError.of(HttpResponseStatus.NOT_FOUND, "not_found", "no such resource: " + path);
    }

    @Override
    public ApiError methodNotAllowed(HttpMethod method) {
      return ApiError.of(HttpResponseStatus.METHOD_NOT_ALLOWED, "method_not_allowed", method + " is not allowed here");
    }

    @Override
    public void answer(ChannelHandlerContext ctx, ApiError error, boolean keepAlive, HttpHeaders headers) {
      JsonResponses.error(ctx, error, keepAlive, headers);
    }
  }
}
