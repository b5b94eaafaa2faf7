package io.ephemeral.cvmfs.dataplane.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import io.ephemeral.cvmfs.dataplane.http.RequestBodyStream;
import io.ephemeral.cvmfs.dataplane.http.RouteHandler;
import io.ephemeral.cvmfs.dataplane.http.WriteAuthorizer;
import io.ephemeral.cvmfs.dataplane.publish.PublishFormat;
import io.ephemeral.cvmfs.dataplane.publish.PublishService;
import io.ephemeral.cvmfs.dataplane.publish.StagedUploads;
import io.ephemeral.cvmfs.dataplane.repository.Head;
import io.ephemeral.cvmfs.dataplane.repository.Publication;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufInputStream;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executor;

/**
 * The publish API under {@code /api/v1/repos/}. Bodies are streamed to a worker thread, which
 * runs the blocking publish and answers when the revision is served; small JSON bodies are
 * collected first.
 */
public final class ApiRoute extends RouteHandler {

  private static final String PREFIX = "/api/v1/repos/";
  private static final int MAX_JSON_BODY = 64 * 1024;

  private final PublishService service;
  private final WriteAuthorizer authorizer;
  private final Executor workers;
  private final ApiRepositoryInfo info;

  private RequestBodyStream stream;
  private ByteBuf json;
  private JsonAction jsonAction;

  public ApiRoute(PublishService service, WriteAuthorizer authorizer, Executor workers, ApiRepositoryInfo info) {
    this.service = service;
    this.authorizer = authorizer;
    this.workers = workers;
    this.info = info;
  }

  @Override
  protected boolean onRequest(ChannelHandlerContext ctx, HttpRequest request) {
    QueryStringDecoder uri = new QueryStringDecoder(request.uri());
    if (!uri.rawPath().startsWith(PREFIX)) {
      return false;
    }
    String decoded;
    try {
      decoded = UrlPaths.decode(uri.rawPath());
    } catch (IllegalArgumentException e) {
      boolean hasBody = HttpUtil.isContentLengthSet(request) ? HttpUtil.getContentLength(request, 0) > 0
          : HttpUtil.isTransferEncodingChunked(request);
      JsonResponses.error(ctx, ApiError.of(HttpResponseStatus.BAD_REQUEST, "invalid_request", e.getMessage()), !hasBody);
      return true;
    }
    List<String> segments = Arrays.asList(decoded.substring(PREFIX.length()).split("/", -1));
    String fqrn = segments.get(0);
    HttpMethod method = request.method();
    boolean write = !method.equals(HttpMethod.GET) && !method.equals(HttpMethod.HEAD);
    boolean hasBody = HttpUtil.isContentLengthSet(request) ? HttpUtil.getContentLength(request, 0) > 0
        : HttpUtil.isTransferEncodingChunked(request);
    if (write) {
      Optional<HttpResponseStatus> refusal = authorizer.check(request, fqrn);
      if (refusal.isPresent()) {
        JsonResponses.error(ctx, ApiError.refusal(refusal.get(), fqrn), !hasBody);
        return true;
      }
    } else if (!authorizer.knows(fqrn)) {
      JsonResponses.error(ctx, ApiError.of(HttpResponseStatus.NOT_FOUND, "not_found", "unknown repository " + fqrn), true);
      return true;
    }
    String resource = segments.size() > 1 ? segments.get(1) : "";
    String path = segments.size() > 2 ? String.join("/", segments.subList(2, segments.size())) : null;
    if (segments.size() == 1 && method.equals(HttpMethod.GET)) {
      run(ctx, true, () -> JsonResponses.send(ctx, HttpResponseStatus.OK, info.describe(fqrn), true));
    } else if (resource.equals("paths") && path == null && method.equals(HttpMethod.GET)) {
      run(ctx, true, () -> {
        ArrayNode list = JsonResponses.JSON.createArrayNode();
        service.publications(fqrn).forEach(p -> list.add(ApiJson.publication(p)));
        JsonResponses.send(ctx, HttpResponseStatus.OK, JsonResponses.JSON.createObjectNode().set("publications", list), true);
      });
    } else if (resource.equals("paths") && path != null) {
      onPath(ctx, request, uri, fqrn, path);
    } else if (resource.equals("uploads") && segments.size() == 2 && method.equals(HttpMethod.POST)) {
      streamBody(ctx, body -> {
        StagedUploads.Upload upload = service.stage(fqrn, body);
        JsonResponses.send(ctx, HttpResponseStatus.CREATED, JsonResponses.JSON.createObjectNode()
            .put("id", upload.id()).put("bytes", upload.bytes()).put("sha256", upload.sha256()), true);
      });
    } else {
      boolean known = segments.size() == 1 || (resource.equals("paths") || resource.equals("uploads")) && segments.size() <= 3;
      JsonResponses.error(ctx, known
          ? ApiError.of(HttpResponseStatus.METHOD_NOT_ALLOWED, "method_not_allowed", method + " is not allowed here")
          : ApiError.of(HttpResponseStatus.NOT_FOUND, "not_found", "no such resource: " + decoded), !hasBody);
    }
    return true;
  }

  private void onPath(ChannelHandlerContext ctx, HttpRequest request, QueryStringDecoder uri, String fqrn, String path) {
    HttpMethod method = request.method();
    if (method.equals(HttpMethod.PUT)) {
      String ttl = query(uri, "ttl");
      boolean overwrite = Boolean.parseBoolean(query(uri, "overwrite"));
      streamBody(ctx, body -> {
        PublishFormat format = PublishFormat.fromQuery(query(uri, "format"));
        JsonResponses.send(ctx, HttpResponseStatus.CREATED,
            ApiJson.published(service.publish(fqrn, path, body, format, ttl, overwrite)), true);
      });
    } else if (method.equals(HttpMethod.DELETE)) {
      run(ctx, true, () -> {
        Head head = service.remove(fqrn, path);
        JsonResponses.send(ctx, HttpResponseStatus.OK, JsonResponses.JSON.createObjectNode()
            .put("path", "/" + path.replaceAll("^/+", "")).put("revision", head.revision()), true);
      });
    } else if (method.equals(HttpMethod.GET)) {
      run(ctx, true, () -> {
        Publication publication = service.publication(fqrn, path).orElseThrow(() -> new io.ephemeral.cvmfs.dataplane.publish
            .PublishException(io.ephemeral.cvmfs.dataplane.publish.PublishException.Reason.NOT_FOUND, "/" + path + " is not published"));
        JsonResponses.send(ctx, HttpResponseStatus.OK, ApiJson.publication(publication), true);
      });
    } else if ((method.equals(HttpMethod.PATCH) || method.equals(HttpMethod.POST))
        && HttpUtil.getContentLength(request, 0L) > MAX_JSON_BODY) {
      // Refused from the head, without waiting for a body that may never come.
      JsonResponses.error(ctx, tooLarge(), false);
    } else if (method.equals(HttpMethod.PATCH)) {
      collectJson(ctx, node -> {
        Publication updated = service.setTtl(fqrn, path, text(node, "ttl"));
        JsonResponses.send(ctx, HttpResponseStatus.OK, ApiJson.publication(updated), true);
      });
    } else if (method.equals(HttpMethod.POST)) {
      collectJson(ctx, node -> {
        PublishFormat format = PublishFormat.fromQuery(text(node, "format"));
        boolean overwrite = node.path("overwrite").asBoolean(false);
        String upload = text(node, "upload");
        String url = text(node, "url");
        if ((upload == null) == (url == null)) {
          throw new IllegalArgumentException("the body needs exactly one of \"upload\" and \"url\"");
        }
        var result = upload != null
            ? service.publishUpload(fqrn, path, upload, format, text(node, "ttl"), overwrite)
            : service.publishUrl(fqrn, path, url, text(node, "sha256"), format, text(node, "ttl"), overwrite);
        JsonResponses.send(ctx, HttpResponseStatus.CREATED, ApiJson.published(result), true);
      });
    } else {
      JsonResponses.error(ctx, ApiError.of(HttpResponseStatus.METHOD_NOT_ALLOWED, "method_not_allowed",
          method + " is not allowed here"), false);
    }
  }

  private void streamBody(ChannelHandlerContext ctx, BodyAction action) {
    RequestBodyStream body = new RequestBodyStream(ctx.channel());
    stream = body;
    run(ctx, false, () -> {
      try {
        action.run(body);
      } finally {
        body.close();
      }
    });
  }

  private void collectJson(ChannelHandlerContext ctx, JsonAction action) {
    json = Unpooled.buffer();
    jsonAction = action;
  }

  @Override
  protected void onContent(ChannelHandlerContext ctx, HttpContent content) {
    try {
      if (content.decoderResult().isFailure()) {
        failBody(new IOException("broken request body"));
        ctx.close();
        return;
      }
      if (stream != null) {
        stream.offer(content.content().retain());
        if (content instanceof LastHttpContent) {
          stream.end();
          stream = null;
        }
      } else if (json != null) {
        if (json.readableBytes() + content.content().readableBytes() > MAX_JSON_BODY) {
          json.release();
          json = null;
          JsonResponses.error(ctx, tooLarge(), false);
          return;
        }
        json.writeBytes(content.content());
        if (content instanceof LastHttpContent) {
          ByteBuf complete = json;
          JsonAction action = jsonAction;
          json = null;
          run(ctx, true, () -> {
            JsonNode node;
            try (InputStream in = new ByteBufInputStream(complete, true)) {
              node = complete.isReadable() ? JsonResponses.JSON.readTree(in) : null;
            } catch (IOException e) {
              throw new IllegalArgumentException("the body is not valid JSON: " + e.getMessage());
            }
            if (node == null || !node.isObject()) {
              throw new IllegalArgumentException("the body must be a JSON object");
            }
            action.run(node);
          });
        }
      }
    } finally {
      content.release();
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    failBody(new IOException("the client closed the connection before the body was complete"));
    if (json != null) {
      json.release();
      json = null;
    }
    super.channelInactive(ctx);
  }

  private void failBody(IOException cause) {
    if (stream != null) {
      stream.fail(cause);
      stream = null;
    }
  }

  // Runs blocking work on a worker and turns any failure into a JSON error.
  private void run(ChannelHandlerContext ctx, boolean bodyComplete, BlockingWork.Work work) {
    BlockingWork.run(workers, work, error -> {
      if (ctx.channel().isActive()) {
        JsonResponses.error(ctx, error, bodyComplete || stream == null);
      }
    });
  }

  private static ApiError tooLarge() {
    return ApiError.of(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, "too_large",
        "a JSON body may have at most " + MAX_JSON_BODY + " bytes");
  }

  private static String query(QueryStringDecoder uri, String name) {
    List<String> values = uri.parameters().get(name);
    return values == null || values.isEmpty() ? null : values.get(0);
  }

  private static String text(JsonNode node, String field) {
    JsonNode value = node.get(field);
    return value == null || value.isNull() ? null : value.asText();
  }

  private interface BodyAction {
    void run(InputStream body) throws Exception;
  }

  private interface JsonAction {
    void run(JsonNode body) throws Exception;
  }
}
