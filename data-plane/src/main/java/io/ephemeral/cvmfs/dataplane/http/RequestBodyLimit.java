package io.ephemeral.cvmfs.dataplane.http;

import static io.netty.handler.codec.http.HttpVersion.HTTP_1_1;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;

/**
 * Holds every request body of a server to one limit, whatever route takes it. A request declaring
 * a larger {@code Content-Length} is answered 413 from its head, so a client does not send
 * gigabytes to learn they were too many, and its body is dropped. A chunked body is counted as it
 * arrives and cut, the connection closed, once it passes the limit by {@link #STREAMING_SLACK}:
 * routes that stream a body into a publication count it themselves and answer 413 first; the cut
 * is for those that would spool it (multipart forms) without end.
 *
 * <p>Sits after the {@link RequestGate}, so requests come one at a time and its answers leave in
 * order.
 */
final class RequestBodyLimit extends ChannelInboundHandlerAdapter {

  /**
   * How far the bytes arrived may run ahead of those a streaming route has read: what is buffered
   * for it before reading pauses ({@link RequestBodyStream}), with room to spare.
   */
  static final long STREAMING_SLACK = 16L << 20;

  private final long limit;
  private final ConnectionStats stats;
  private long received;
  private boolean dropping;
  private boolean cut;

  RequestBodyLimit(long limit, ConnectionStats stats) {
    this.limit = limit;
    this.stats = stats;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (cut) {
      ReferenceCountUtil.release(msg);
      return;
    }
    if (msg instanceof HttpRequest request) {
      received = 0;
      dropping = false;
      if (request.decoderResult().isSuccess() && HttpUtil.getContentLength(request, -1L) > limit) {
        dropping = !(msg instanceof LastHttpContent);
        ReferenceCountUtil.release(msg);
        stats.countBodyTooLarge();
        refuse(ctx);
        return;
      }
    }
    if (msg instanceof HttpContent content) {
      if (dropping) {
        dropping = !(msg instanceof LastHttpContent);
        content.release();
        return;
      }
      received += content.content().readableBytes();
      if (received - limit > STREAMING_SLACK) {
        cut = true;
        content.release();
        stats.countBodyTooLarge();
        // The route taking the body learns it is broken and lets go of what it wrote.
        DefaultLastHttpContent broken = new DefaultLastHttpContent(Unpooled.EMPTY_BUFFER);
        broken.setDecoderResult(DecoderResult.failure(
            new TooLongFrameException("the request body is larger than the limit of " + limit + " bytes")));
        ctx.fireChannelRead(broken);
        ctx.close();
        return;
      }
    }
    ctx.fireChannelRead(msg);
  }

  private void refuse(ChannelHandlerContext ctx) {
    byte[] body = ("{\"error\":\"too_large\",\"detail\":\"the request body may have at most " + limit
        + " bytes\"}").getBytes(StandardCharsets.US_ASCII);
    FullHttpResponse response =
        new DefaultFullHttpResponse(HTTP_1_1, HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, Unpooled.wrappedBuffer(body));
    response.headers()
        .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
        .set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_STORE)
        .setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
    // The body is not read: the connection closes after the answer, gently (see LingeringCloser).
    HttpUtil.setKeepAlive(response, false);
    ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
  }
}
