package io.ephemeral.cvmfs.dataplane.observability;

import io.ephemeral.cvmfs.dataplane.http.RequestFacts;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;

/** {@code GET /metrics}: the Prometheus text format, version 0.0.4. */
public final class MetricsRoute extends io.ephemeral.cvmfs.dataplane.http.RouteHandler {

  private static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

  private final Metrics metrics;

  public MetricsRoute(Metrics metrics) {
    this.metrics = metrics;
  }

  @Override
  protected boolean onRequest(ChannelHandlerContext ctx, HttpRequest request) {
    // Compared undecoded: Netty's decoding throws on a malformed escape.
    if (!path(request.uri()).equals("/metrics") || !request.method().equals(HttpMethod.GET)) {
      return false;
    }
    RequestFacts.of(ctx.channel()).route("GET /metrics");
    byte[] body = metrics.scrape().getBytes(StandardCharsets.UTF_8);
    FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
        Unpooled.wrappedBuffer(body));
    response.headers()
        .set(HttpHeaderNames.CONTENT_TYPE, CONTENT_TYPE)
        .set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_STORE)
        .setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
    HttpUtil.setKeepAlive(response, HttpUtil.isKeepAlive(request));
    ctx.writeAndFlush(response);
    return true;
  }
}
