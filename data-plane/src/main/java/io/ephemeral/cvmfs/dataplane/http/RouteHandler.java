package io.ephemeral.cvmfs.dataplane.http;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;

/**
 * One route of the {@link HttpServer}: it either takes a request, answering it with exactly one
 * response, or passes the request on to the next route unchanged.
 *
 * <p>The decoder delivers a request as an {@link HttpRequest} followed by its {@link
 * HttpContent} parts; this class keeps the parts with the head, so a route sees the body of the
 * requests it took and never the body of one it passed on. Requests the decoder could not parse
 * are never offered. A new instance is created for each connection.
 *
 * <p>Routes run on the server's file executor, all routes of a connection on the same one of its
 * threads: blocking disk access is fine here, and requests are handled, and answered, in the
 * order they came in, which is what makes HTTP/1.1 pipelining safe.
 */
public abstract class RouteHandler extends ChannelInboundHandlerAdapter {

  private boolean taken;

  @Override
  public final void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
    if (msg instanceof HttpRequest request) {
      taken = false; // stays so if onRequest throws: the body then goes on to the fallback
      taken = request.decoderResult().isSuccess() && onRequest(ctx, request);
    }
    if (!taken) {
      ctx.fireChannelRead(msg);
    } else if (msg instanceof HttpContent content) {
      onContent(ctx, content);
    }
  }

  /**
   * Offered the head of a request; returns {@code false} to pass it on, or {@code true} after
   * having answered it (or having arranged to answer it once its body has arrived).
   */
  protected abstract boolean onRequest(ChannelHandlerContext ctx, HttpRequest request)
      throws Exception;

  /** The path of a request target: without the query, and without scheme and host if given. */
  protected static String path(String uri) {
    int query = uri.indexOf('?');
    String path = query < 0 ? uri : uri.substring(0, query);
    // Servers must accept the absolute form too (RFC 9112, 3.2.2).
    if (path.regionMatches(true, 0, "http://", 0, 7)) {
      int slash = path.indexOf('/', 7);
      path = slash < 0 ? "/" : path.substring(slash);
    }
    return path;
  }

  /**
   * A part of the body of a request this route took; the last part is a {@link
   * io.netty.handler.codec.http.LastHttpContent}. The route owns {@code content} and must release
   * it. A part whose decoder result is a failure means the body is broken and nothing more can
   * be read from the connection. By default the body is discarded.
   */
  protected void onContent(ChannelHandlerContext ctx, HttpContent content) throws Exception {
    if (content.decoderResult().isFailure()) {
      ctx.close();
    }
    content.release();
  }
}
