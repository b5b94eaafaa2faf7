package io.ephemeral.cvmfs.dataplane.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ephemeral.cvmfs.dataplane.http.RequestFacts;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;

/** Writes JSON answers. Safe from any thread: Netty hands the write to the channel's event loop. */
public final class JsonResponses {

  public static final ObjectMapper JSON = new ObjectMapper();

  private JsonResponses() {}

  /**
   * Answers with {@code body}. {@code keepAlive} false closes the connection afterwards, which is
   * how a request whose body was not read to the end is answered.
   */
  public static void send(ChannelHandlerContext ctx, HttpResponseStatus status, JsonNode body, boolean keepAlive) {
    send(ctx, status, body, keepAlive, null);
  }

  /** Answers with {@code body} and {@code headers} (may be null) added. */
  public static void send(ChannelHandlerContext ctx, HttpResponseStatus status, JsonNode body, boolean keepAlive,
      HttpHeaders headers) {
    byte[] bytes;
    try {
      bytes = JSON.writeValueAsBytes(body);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
    FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.wrappedBuffer(bytes));
    response.headers()
        .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
        .set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_STORE)
        .setInt(HttpHeaderNames.CONTENT_LENGTH, bytes.length);
    if (headers != null) {
      response.headers().add(headers);
    }
    HttpUtil.setKeepAlive(response, keepAlive);
    var write = ctx.writeAndFlush(response);
    if (!keepAlive) {
      write.addListener(ChannelFutureListener.CLOSE);
    }
  }

  public static void error(ChannelHandlerContext ctx, ApiError error, boolean keepAlive) {
    error(ctx, error, keepAlive, null);
  }

  /** Answers {@code {"error": CODE, "detail": TEXT}}, and records the code for the access log and metrics. */
  public static void error(ChannelHandlerContext ctx, ApiError error, boolean keepAlive, HttpHeaders headers) {
    RequestFacts.of(ctx.channel()).errorCode(error.code());
    ObjectNode body = JSON.createObjectNode().put("error", error.code()).put("detail", error.detail());
    send(ctx, error.status(), body, keepAlive, headers);
  }
}
