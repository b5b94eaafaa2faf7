package io.ephemeral.cvmfs.dataplane.notify;

import static io.netty.handler.codec.http.HttpVersion.HTTP_1_1;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ephemeral.cvmfs.dataplane.http.RequestFacts;
import io.ephemeral.cvmfs.dataplane.http.RouteHandler;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An endpoint under {@code /api/v1/notifications/}: takes the requests for its path, collects
 * their small JSON body and hands it to {@link #onBody}. Refusals are answered with {@code
 * {"error": CODE, "detail": TEXT}}.
 */
abstract class NotificationRoute extends RouteHandler {

  static final String BASE_PATH = "/api/v1/notifications/";

  private static final Logger LOG = LoggerFactory.getLogger(NotificationRoute.class);

  private final String path;
  private final Set<HttpMethod> methods;
  private final int maxBody;
  // The request being read; routes run on one thread per connection.
  private HttpRequest request;
  private ByteBuf body;
  private NotificationException refusal;
  // Refused before the body was read: the rest of it is dropped, and the connection closed.
  private boolean answered;

  NotificationRoute(String name, Set<HttpMethod> methods, int maxBody) {
    this.path = BASE_PATH + name;
    this.methods = Set.copyOf(methods);
    this.maxBody = maxBody;
  }

  /** Handles a complete request; throws to answer with an error. */
  protected abstract void onBody(ChannelHandlerContext ctx, HttpRequest request, byte[] body)
      throws NotificationException, IOException;

  @Override
  protected final boolean onRequest(ChannelHandlerContext ctx, HttpRequest request) {
    if (!path.equals(path(request.uri()))) {
      return false;
    }
    RequestFacts.of(ctx.channel()).route(request.method().name() + " " + path);
    this.request = request;
    this.refusal = null;
    this.answered = false;
    if (!methods.contains(request.method())) {
      refusal = new NotificationException(405, "method_not_allowed", request.method() + " is not allowed here");
    } else if (HttpUtil.getContentLength(request, 0L) > maxBody) {
      // Refused from the head, without waiting for a body that may never come.
      refuseNow(ctx, tooLarge());
    } else {
      body = Unpooled.buffer(0, maxBody);
      if (HttpUtil.is100ContinueExpected(request)) {
        ctx.writeAndFlush(new DefaultFullHttpResponse(HTTP_1_1, HttpResponseStatus.CONTINUE, Unpooled.EMPTY_BUFFER));
      }
    }
    return true;
  }

  @Override
  protected final void onContent(ChannelHandlerContext ctx, HttpContent content) {
    try {
      if (content.decoderResult().isFailure()) {
        release();
        ctx.close();
        return;
      }
      if (answered) {
        if (content instanceof LastHttpContent) {
          request = null;
        }
        return;
      }
      if (refusal == null) {
        ByteBuf part = content.content();
        if (part.readableBytes() > body.maxWritableBytes()) {
          release();
          refuseNow(ctx, tooLarge());
          if (content instanceof LastHttpContent) {
            request = null;
          }
          return;
        }
        body.writeBytes(part);
      }
      if (content instanceof LastHttpContent) {
        finish(ctx);
      }
    } finally {
      content.release();
    }
  }

  private void finish(ChannelHandlerContext ctx) {
    HttpRequest finished = request;
    request = null;
    byte[] bytes = body == null ? new byte[0] : ByteBufUtil.getBytes(body);
    release();
    try {
      if (refusal != null) {
        throw refusal;
      }
      onBody(ctx, finished, bytes);
    } catch (NotificationException e) {
      refuse(ctx, e);
    } catch (IOException | RuntimeException e) {
      LOG.warn("{} {} failed", finished.method(), path, e);
      refuse(ctx, new NotificationException(500, "internal_error", String.valueOf(e.getMessage())));
    }
  }

  /** Answers before the body is complete, and closes the connection once the answer is out. */
  private void refuseNow(ChannelHandlerContext ctx, NotificationException e) {
    answered = true;
    RequestFacts.of(ctx.channel()).errorCode(e.code());
    FullHttpResponse response = json(HttpResponseStatus.valueOf(e.status()),
        ActivityMessage.JSON.createObjectNode().put("error", e.code()).put("detail", e.getMessage()));
    HttpUtil.setKeepAlive(response, false);
    ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
  }

  private NotificationException tooLarge() {
    return new NotificationException(413, "body_too_large", "the body exceeds " + maxBody + " bytes");
  }

  private void release() {
    if (body != null) {
      body.release();
      body = null;
    }
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    release();
  }

  private void refuse(ChannelHandlerContext ctx, NotificationException e) {
    RequestFacts.of(ctx.channel()).errorCode(e.code());
    FullHttpResponse response = json(HttpResponseStatus.valueOf(e.status()),
        ActivityMessage.JSON.createObjectNode().put("error", e.code()).put("detail", e.getMessage()));
    if (e.status() == HttpResponseStatus.METHOD_NOT_ALLOWED.code()) {
      response.headers().set(HttpHeaderNames.ALLOW,
          methods.stream().map(HttpMethod::name).sorted().collect(Collectors.joining(", ")));
    }
    ctx.writeAndFlush(response);
  }

  /**
   * A response with a JSON body ended by LF: a stock client that gets one instead of a stream
   * then counts a failed attempt and retries, where a body without LF would make it stop
   * listening for good (format.md 10.7).
   */
  static FullHttpResponse json(HttpResponseStatus status, ObjectNode json) {
    byte[] bytes;
    try {
      bytes = (ActivityMessage.JSON.writeValueAsString(json) + "\n").getBytes(StandardCharsets.UTF_8);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
    FullHttpResponse response = new DefaultFullHttpResponse(HTTP_1_1, status, Unpooled.wrappedBuffer(bytes));
    response.headers()
        .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
        .setInt(HttpHeaderNames.CONTENT_LENGTH, bytes.length)
        .set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_STORE);
    return response;
  }
}
