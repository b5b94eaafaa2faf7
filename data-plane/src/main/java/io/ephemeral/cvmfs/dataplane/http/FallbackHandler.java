package io.ephemeral.cvmfs.dataplane.http;

import static io.netty.handler.codec.http.HttpVersion.HTTP_1_1;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The end of the pipeline: answers every request no route took (404, or 405 for methods other
 * than GET and HEAD, or 400 when it could not be parsed) and discards request bodies.
 */
final class FallbackHandler extends ChannelInboundHandlerAdapter {

  private static final Logger LOG = LoggerFactory.getLogger(FallbackHandler.class);

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    try {
      if (msg instanceof HttpRequest request) {
        respond(ctx, request);
      } else if (msg instanceof HttpContent content && content.decoderResult().isFailure()) {
        // A broken body: the decoder now discards all input, so no further request can come.
        ctx.close();
      }
    } finally {
      ReferenceCountUtil.release(msg);
    }
  }

  private static void respond(ChannelHandlerContext ctx, HttpRequest request) {
    HttpMethod method = request.method();
    boolean head = HttpMethod.HEAD.equals(method);
    FullHttpResponse response;
    if (!request.decoderResult().isSuccess()) {
      // The decoder discards everything after a bad request, so the connection is done.
      response = plain(HttpResponseStatus.BAD_REQUEST, false);
      response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    } else if (head || HttpMethod.GET.equals(method)) {
      response = plain(HttpResponseStatus.NOT_FOUND, head);
    } else {
      response = plain(HttpResponseStatus.METHOD_NOT_ALLOWED, false);
      response.headers().set(HttpHeaderNames.ALLOW, "GET, HEAD");
    }
    ctx.writeAndFlush(response);
  }

  /** A response whose body is the reason phrase; the body is left out, not its length, for HEAD. */
  private static FullHttpResponse plain(HttpResponseStatus status, boolean head) {
    byte[] body = (status.reasonPhrase() + "\n").getBytes(StandardCharsets.US_ASCII);
    FullHttpResponse response = new DefaultFullHttpResponse(
        HTTP_1_1, status, head ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(body));
    response.headers()
        .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.TEXT_PLAIN)
        .setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
    return response;
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    // I/O errors are mostly clients going away mid-response; anything else is a bug worth seeing.
    if (cause instanceof IOException) {
      LOG.debug("closing {}", ctx.channel(), cause);
    } else {
      LOG.warn("closing {}", ctx.channel(), cause);
    }
    ctx.close();
  }
}
