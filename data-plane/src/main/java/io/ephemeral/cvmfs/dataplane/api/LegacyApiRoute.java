package io.ephemeral.cvmfs.dataplane.api;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ephemeral.cvmfs.dataplane.http.RouteHandler;
import io.ephemeral.cvmfs.dataplane.http.WriteAuthorizer;
import io.ephemeral.cvmfs.dataplane.maintenance.GarbageCollector;
import io.ephemeral.cvmfs.dataplane.notify.RevisionAnnouncer;
import io.ephemeral.cvmfs.dataplane.publish.PublishException;
import io.ephemeral.cvmfs.dataplane.publish.PublishFormat;
import io.ephemeral.cvmfs.dataplane.publish.PublishResult;
import io.ephemeral.cvmfs.dataplane.publish.PublishService;
import io.ephemeral.cvmfs.dataplane.publish.PublishedFile;
import io.ephemeral.cvmfs.dataplane.repository.Publication;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.multipart.DefaultHttpDataFactory;
import io.netty.handler.codec.http.multipart.FileUpload;
import io.netty.handler.codec.http.multipart.HttpPostRequestDecoder;
import io.netty.handler.codec.http.multipart.InterfaceHttpData;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.function.Function;

/**
 * The endpoints of the earlier cvmfs-ephemeral service ({@code /repos/…}, {@code /gc}, {@code
 * /housekeeping}) with their paths, status codes and JSON field names, so that pipelines written
 * for it keep working. Each top-level name is a publication: an uploaded file, or with {@code
 * unpack} a flattened image. Unlike the earlier service, writing needs the repository's token
 * unless the data plane runs with {@code --legacy-api-without-token}.
 */
public final class LegacyApiRoute extends RouteHandler {

  private static final String RESERVED = "ttl.json";
  private static final long DEFAULT_TTL_SECONDS = 7200;
  // Uploads larger than this go to a temporary file, in the repository's scratch folder, instead of memory.
  private static final long IN_MEMORY_UPLOAD = 64 * 1024;

  private final PublishService service;
  private final WriteAuthorizer authorizer;
  private final boolean withoutToken;
  private final Executor workers;
  private final Map<String, GarbageCollector> collectors;
  private final RevisionAnnouncer announcer;
  private final Function<String, Path> scratch;

  private HttpPostRequestDecoder upload;
  private DefaultHttpDataFactory uploadFiles;
  private UploadRequest uploadRequest;

  public LegacyApiRoute(PublishService service, WriteAuthorizer authorizer, boolean withoutToken, Executor workers,
      Map<String, GarbageCollector> collectors, RevisionAnnouncer announcer, Function<String, Path> scratch) {
    this.service = service;
    this.authorizer = authorizer;
    this.withoutToken = withoutToken;
    this.workers = workers;
    this.collectors = collectors;
    this.announcer = announcer;
    this.scratch = scratch;
  }

  @Override
  protected boolean onRequest(ChannelHandlerContext ctx, HttpRequest request) {
    QueryStringDecoder uri = new QueryStringDecoder(request.uri());
    String path;
    try {
      path = UrlPaths.decode(uri.rawPath());
    } catch (IllegalArgumentException e) {
      if (!uri.rawPath().startsWith("/repos/")) {
        return false;
      }
      detail(ctx, HttpResponseStatus.BAD_REQUEST, e.getMessage());
      return true;
    }
    HttpMethod method = request.method();
    if (path.equals("/gc") || path.equals("/housekeeping")) {
      if (!method.equals(HttpMethod.POST)) {
        detail(ctx, HttpResponseStatus.METHOD_NOT_ALLOWED, "Method Not Allowed");
      } else if (authorizedForAny(ctx, request)) {
        boolean gcOnly = path.equals("/gc");
        run(ctx, () -> {
          long start = System.nanoTime();
          if (!gcOnly) {
            service.expire();
          }
          for (GarbageCollector collector : collectors.values()) {
            collector.collect(false);
          }
          double seconds = (System.nanoTime() - start) / 1e9;
          JsonResponses.send(ctx, HttpResponseStatus.OK, gcOnly
              ? message("Garbage collection completed").put("gc_time_s", seconds)
              : message("Housekeeping completed").put("housekeeping_time_s", seconds), true);
        });
      }
      return true;
    }
    if (!path.startsWith("/repos/")) {
      return false;
    }
    List<String> segments = List.of(path.substring("/repos/".length()).split("/", -1));
    String repo = segments.get(0);
    if (!service.repositories().contains(repo)) {
      detail(ctx, HttpResponseStatus.NOT_FOUND, segments.size() == 2 && !method.equals(HttpMethod.POST)
          ? "File " + segments.get(1) + " does not exist in repo " + repo : "Repo " + repo + " does not exist");
      return true;
    }
    boolean write = method.equals(HttpMethod.POST) || method.equals(HttpMethod.DELETE);
    if (write && !authorized(ctx, request, repo)) {
      return true;
    }
    if (segments.size() == 1 && method.equals(HttpMethod.GET)) {
      run(ctx, () -> list(ctx, repo));
    } else if (segments.size() == 1 && method.equals(HttpMethod.POST)) {
      startUpload(ctx, request, uri, repo);
    } else if (segments.size() == 2 && method.equals(HttpMethod.POST) && segments.get(1).equals("clean")) {
      run(ctx, () -> {
        List<String> removed = service.expire(repo);
        JsonResponses.send(ctx, HttpResponseStatus.OK,
            message("Cleaned up " + removed.size() + " expired files in repo: " + repo + ". Errors: 0"), true);
      });
    } else if (segments.size() == 2 && method.equals(HttpMethod.POST) && segments.get(1).equals("notify")) {
      run(ctx, () -> {
        announcer.announceServed(service.publisher(repo).repository());
        JsonResponses.send(ctx, HttpResponseStatus.OK, message("Notified clients about changes in repo " + repo), true);
      });
    } else if (segments.size() == 2 && method.equals(HttpMethod.GET)) {
      run(ctx, () -> download(ctx, request, repo, segments.get(1)));
    } else if (segments.size() == 2 && method.equals(HttpMethod.DELETE)) {
      String target = segments.get(1);
      if (target.equals(RESERVED)) {
        detail(ctx, HttpResponseStatus.BAD_REQUEST, "Target `" + RESERVED + "` is not allowed");
      } else {
        run(ctx, () -> {
          requirePublished(repo, target);
          service.remove(repo, target);
          JsonResponses.send(ctx, HttpResponseStatus.OK, JsonResponses.JSON.createObjectNode().put("target_name", target), true);
        });
      }
    } else if (segments.size() == 3 && segments.get(2).equals("ttl") && method.equals(HttpMethod.POST)) {
      String file = segments.get(1);
      Optional<Long> ttl = integer(ctx, uri, "ttl_s", null);
      if (file.equals(RESERVED)) {
        detail(ctx, HttpResponseStatus.BAD_REQUEST, "Filename " + RESERVED + " is not allowed");
      } else if (ttl.isPresent()) {
        run(ctx, () -> {
          requirePublished(repo, file);
          service.setTtl(repo, file, ttl.get() + "s");
          JsonResponses.send(ctx, HttpResponseStatus.OK,
              JsonResponses.JSON.createObjectNode().put("filename", file).put("ttl_s", ttl.get()), true);
        });
      }
    } else {
      detail(ctx, HttpResponseStatus.NOT_FOUND, "Not Found");
    }
    return true;
  }

  private void list(ChannelHandlerContext ctx, String repo) throws PublishException {
    ArrayNode files = JsonResponses.JSON.createArrayNode();
    for (Publication publication : service.publications(repo)) {
      if (publication.isFile() && publication.path().lastIndexOf('/') == 0) {
        files.add(publication.path().substring(1));
      }
    }
    JsonResponses.send(ctx, HttpResponseStatus.OK, JsonResponses.JSON.createObjectNode().set("files", files), true);
  }

  private void download(ChannelHandlerContext ctx, HttpRequest request, String repo, String file) throws Exception {
    Publication publication = requirePublished(repo, file);
    if (!publication.isFile()) {
      throw new IllegalArgumentException(file + " is a directory");
    }
    HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
    head.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/octet-stream")
        .set(HttpHeaderNames.CONTENT_LENGTH, publication.file().size());
    HttpUtil.setKeepAlive(head, HttpUtil.isKeepAlive(request));
    ctx.writeAndFlush(head);
    try (InputStream in = PublishedFile.open(service.publisher(repo).repository().objects(), publication.file())) {
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

  private void startUpload(ChannelHandlerContext ctx, HttpRequest request, QueryStringDecoder uri, String repo) {
    Optional<Long> ttl = integer(ctx, uri, "ttl_s", DEFAULT_TTL_SECONDS);
    Optional<Boolean> unpack = bool(ctx, uri, "unpack");
    Optional<Boolean> overwrite = unpack.isPresent() ? bool(ctx, uri, "overwrite") : Optional.empty();
    if (ttl.isEmpty() || overwrite.isEmpty()) {
      return;
    }
    DefaultHttpDataFactory files = new DefaultHttpDataFactory(IN_MEMORY_UPLOAD);
    files.setBaseDir(scratch.apply(repo).toString());
    // Deleted when done or cut off; deleteOnExit would keep every name in memory until the JVM ends.
    files.setDeleteOnExit(false);
    try {
      upload = new HttpPostRequestDecoder(files, request);
    } catch (HttpPostRequestDecoder.ErrorDataDecoderException e) {
      files.cleanAllHttpData();
      unprocessable(ctx, "body", "file", "missing", "Field required");
      return;
    }
    uploadFiles = files;
    uploadRequest = new UploadRequest(repo, ttl.get(), unpack.get(), overwrite.get(), request);
  }

  @Override
  protected void onContent(ChannelHandlerContext ctx, HttpContent content) throws Exception {
    if (upload == null) {
      super.onContent(ctx, content);
      return;
    }
    try {
      if (content.decoderResult().isFailure()) {
        abandonUpload();
        ctx.close();
        return;
      }
      upload.offer(content);
      if (content instanceof LastHttpContent) {
        HttpPostRequestDecoder decoder = upload;
        UploadRequest request = uploadRequest;
        DefaultHttpDataFactory files = uploadFiles;
        upload = null;
        uploadRequest = null;
        uploadFiles = null;
        finishUpload(ctx, decoder, request, files);
      }
    } catch (HttpPostRequestDecoder.ErrorDataDecoderException e) {
      abandonUpload();
      detail(ctx, HttpResponseStatus.BAD_REQUEST, "malformed multipart body: " + e.getMessage());
    } finally {
      content.release();
    }
  }

  /** Deletes what an upload cut off or refused has written so far. */
  private void abandonUpload() {
    if (upload != null) {
      release(upload, uploadFiles);
      upload = null;
      uploadRequest = null;
      uploadFiles = null;
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    abandonUpload();
    super.channelInactive(ctx);
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    abandonUpload();
  }

  private void finishUpload(ChannelHandlerContext ctx, HttpPostRequestDecoder decoder, UploadRequest request,
      DefaultHttpDataFactory files) {
    InterfaceHttpData part = decoder.getBodyHttpData("file");
    if (!(part instanceof FileUpload file)) {
      release(decoder, files);
      unprocessable(ctx, "body", "file", "missing", "Field required");
      return;
    }
    String filename = file.getFilename();
    if (filename.equals(RESERVED)) {
      release(decoder, files);
      detail(ctx, HttpResponseStatus.BAD_REQUEST, "Filename " + RESERVED + " is not allowed");
      return;
    }
    run(ctx, () -> {
      try {
        PublishResult result;
        try (InputStream content = file.isInMemory() ? new java.io.ByteArrayInputStream(file.get())
            : java.nio.file.Files.newInputStream(file.getFile().toPath())) {
          result = service.publish(request.repo, filename, content,
              request.unpack ? PublishFormat.DOCKER_ARCHIVE : PublishFormat.FILE, request.ttlSeconds + "s", request.overwrite);
        } catch (PublishException e) {
          if (e.reason() == PublishException.Reason.CONFLICT) {
            throw new PublishException(e.reason(), "File " + filename + " already exists");
          }
          throw e;
        }
        ObjectNode body = JsonResponses.JSON.createObjectNode()
            .put("filename", filename)
            .put("content_type", file.getContentType())
            .put("expires_at", result.expiresAt().toEpochMilli() / 1000.0)
            .put("upload_time_s", result.ingest().toNanos() / 1e9)
            .put("publish_time_s", result.commit().toNanos() / 1e9);
        JsonResponses.send(ctx, HttpResponseStatus.OK, body, true);
      } finally {
        release(decoder, files);
      }
    });
  }

  private static void release(HttpPostRequestDecoder decoder, DefaultHttpDataFactory files) {
    try {
      decoder.destroy();
    } finally {
      files.cleanAllHttpData();
    }
  }

  private Publication requirePublished(String repo, String name) throws PublishException {
    return service.publication(repo, name).orElseThrow(() -> new PublishException(PublishException.Reason.NOT_FOUND,
        "File " + name + " does not exist in repo " + repo));
  }

  private boolean authorized(ChannelHandlerContext ctx, HttpRequest request, String repo) {
    if (withoutToken) {
      return true;
    }
    Optional<HttpResponseStatus> refusal = authorizer.check(request, repo);
    refusal.ifPresent(status -> detail(ctx, status, ApiError.refusal(status, repo).detail()));
    return refusal.isEmpty();
  }

  private boolean authorizedForAny(ChannelHandlerContext ctx, HttpRequest request) {
    if (withoutToken || service.repositories().stream().anyMatch(repo -> authorizer.check(request, repo).isEmpty())) {
      return true;
    }
    boolean presented = request.headers().contains(HttpHeaderNames.AUTHORIZATION);
    detail(ctx, presented ? HttpResponseStatus.FORBIDDEN : HttpResponseStatus.UNAUTHORIZED,
        presented ? "the token is not valid for any repository" : "writing needs Authorization: Bearer <token>");
    return false;
  }

  // Runs blocking work off the route executor and answers failures in the earlier service's shape.
  private void run(ChannelHandlerContext ctx, BlockingWork.Work work) {
    BlockingWork.run(workers, work, error -> detail(ctx,
        error.status().code() >= 500 && error.status().code() != 507 && error.status().code() != 503
            ? HttpResponseStatus.INTERNAL_SERVER_ERROR : error.status(), error.detail()));
  }

  private static Optional<Long> integer(ChannelHandlerContext ctx, QueryStringDecoder uri, String name, Long fallback) {
    List<String> values = uri.parameters().get(name);
    if (values == null || values.isEmpty()) {
      if (fallback == null) {
        unprocessable(ctx, "query", name, "missing", "Field required");
        return Optional.empty();
      }
      return Optional.of(fallback);
    }
    try {
      return Optional.of(Long.parseLong(values.get(0).trim()));
    } catch (NumberFormatException e) {
      unprocessable(ctx, "query", name, "int_parsing", "Input should be a valid integer, unable to parse string as an integer");
      return Optional.empty();
    }
  }

  // Lenient like the earlier service's parser: true/false, 1/0, yes/no, on/off, t/f, y/n.
  private static Optional<Boolean> bool(ChannelHandlerContext ctx, QueryStringDecoder uri, String name) {
    List<String> values = uri.parameters().get(name);
    if (values == null || values.isEmpty()) {
      return Optional.of(false);
    }
    switch (values.get(0).trim().toLowerCase(Locale.ROOT)) {
      case "true", "1", "yes", "on", "t", "y" -> {
        return Optional.of(true);
      }
      case "false", "0", "no", "off", "f", "n" -> {
        return Optional.of(false);
      }
      default -> {
        unprocessable(ctx, "query", name, "bool_parsing", "Input should be a valid boolean, unable to interpret input");
        return Optional.empty();
      }
    }
  }

  private static ObjectNode message(String text) {
    return JsonResponses.JSON.createObjectNode().put("message", text);
  }

  private static void detail(ChannelHandlerContext ctx, HttpResponseStatus status, String detail) {
    JsonResponses.send(ctx, status, JsonResponses.JSON.createObjectNode().put("detail", detail), true);
  }

  private static void unprocessable(ChannelHandlerContext ctx, String location, String field, String type, String msg) {
    ObjectNode error = JsonResponses.JSON.createObjectNode().put("type", type).put("msg", msg);
    error.putArray("loc").add(location).add(field);
    ObjectNode body = JsonResponses.JSON.createObjectNode();
    body.putArray("detail").add(error);
    JsonResponses.send(ctx, HttpResponseStatus.UNPROCESSABLE_ENTITY, body, true);
  }

  private record UploadRequest(String repo, long ttlSeconds, boolean unpack, boolean overwrite, HttpRequest request) {}
}
