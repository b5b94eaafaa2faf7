package io.ephemeral.cvmfs.dataplane.http;

import static io.netty.handler.codec.http.HttpResponseStatus.OK;
import static io.netty.handler.codec.http.HttpVersion.HTTP_1_1;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;

/**
 * Answers a plain {@code GET} for an object in the {@link ObjectCache} on the event loop, saving
 * the hop to the file executor and back; everything else goes on to the routes.
 *
 * <p>Responses must leave in the order the requests came (HTTP/1.1 pipelining). So a request is
 * answered here only while the connection has no earlier request still being answered by the
 * routes: this handler counts the requests it passed on and the final responses coming back
 * through it. Once a route takes the connection over (an event stream), no response comes back,
 * and every later request goes on to the routes.
 */
final class CachedObjectResponder extends ChannelDuplexHandler {

  private final ObjectCache cache;
  private final ContentHeaders headers;
  private int unanswered;
  private boolean discardingBody;

  CachedObjectResponder(ObjectCache cache, ContentHeaders headers) {
    this.cache = cache;
    this.headers = headers;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof HttpRequest request) {
      byte[] content = unanswered == 0 ? cached(request) : null;
      if (content != null) {
        RequestFacts.of(ctx.channel()).route("GET " + RepositoryContentHandler.FILE_ROUTE);
        respond(ctx, content);
        discardingBody = !(msg instanceof LastHttpContent);
        ReferenceCountUtil.release(msg);
        return;
      }
      unanswered++;
      discardingBody = false;
    } else if (discardingBody && msg instanceof HttpContent) {
      discardingBody = !(msg instanceof LastHttpContent);
      ReferenceCountUtil.release(msg);
      return;
    }
    ctx.fireChannelRead(msg);
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
    if (msg instanceof LastHttpContent && !informational(msg) && unanswered > 0) {
      unanswered--;
    }
    ctx.write(msg, promise);
  }

  private byte[] cached(HttpRequest request) {
    if (!HttpMethod.GET.equals(request.method()) || !request.decoderResult().isSuccess()
        || request.headers().contains(HttpHeaderNames.RANGE)) {
      return null;
    }
    return cache.get(RouteHandler.path(request.uri()));
  }

  private void respond(ChannelHandlerContext ctx, byte[] content) {
    FullHttpResponse response = new DefaultFullHttpResponse(HTTP_1_1, OK, Unpooled.wrappedBuffer(content));
    headers.apply(response.headers(), RepositoryContentHandler.OBJECT_TYPE, content.length);
    ctx.writeAndFlush(response);
  }

  /** A 1xx response, such as {@code 100 Continue}: the final response is still to come. */
  private static boolean informational(Object msg) {
    return msg instanceof HttpResponse response && response.status().codeClass() == HttpStatusClass.INFORMATIONAL;
  }
}
