package io.ephemeral.cvmfs.dataplane.http;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Closes a connection gently when it is closed while the client is still sending a request body,
 * as when an upload is refused before it was read: the output is shut down, so that the client
 * gets the whole response followed by end of stream, and the rest of the body is read and dropped
 * until it ends, the client hangs up, or {@link #LINGER} has passed. Closing at once would answer
 * the unread bytes with a reset, and a client still busy sending would report the reset instead of
 * the response.
 */
final class LingeringCloser extends ChannelDuplexHandler {

  /** The longest a refused body is drained before the connection is closed regardless. */
  static final Duration LINGER = Duration.ofSeconds(5);

  private boolean bodyIncoming;
  private boolean lingering;

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (lingering) {
      boolean last = msg instanceof LastHttpContent;
      ReferenceCountUtil.release(msg);
      if (last) {
        ctx.close();
      }
      return;
    }
    if (msg instanceof HttpRequest) {
      bodyIncoming = !(msg instanceof LastHttpContent);
    } else if (msg instanceof LastHttpContent) {
      bodyIncoming = false;
    }
    ctx.fireChannelRead(msg);
  }

  @Override
  public void close(ChannelHandlerContext ctx, ChannelPromise promise) {
    if (lingering) {
      // Responses are often closed on twice (keep-alive and the route); the first one decides.
      ctx.channel().closeFuture().addListener(closed -> promise.trySuccess());
      return;
    }
    if (!bodyIncoming || !(ctx.channel() instanceof DuplexChannel channel) || !channel.isActive()) {
      ctx.close(promise);
      return;
    }
    lingering = true;
    channel.closeFuture().addListener(closed -> promise.trySuccess());
    // Shutting the output down fails writes still queued; an empty write completes after them.
    ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(written -> {
      if (!written.isSuccess()) {
        ctx.close();
        return;
      }
      channel.shutdownOutput().addListener(shut -> {
        if (!shut.isSuccess()) {
          ctx.close();
        }
      });
    });
    ctx.executor().schedule(() -> ctx.close(), LINGER.toMillis(), TimeUnit.MILLISECONDS);
    // A route reading the body slowly may have paused reading; draining must not wait for it.
    channel.config().setAutoRead(true);
  }
}
