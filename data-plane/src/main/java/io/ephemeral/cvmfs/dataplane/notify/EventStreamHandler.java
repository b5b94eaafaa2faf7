package io.ephemeral.cvmfs.dataplane.notify;

import static io.netty.handler.codec.http.HttpVersion.HTTP_1_1;

import io.ephemeral.cvmfs.dataplane.http.HttpServer;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelConfig;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.epoll.EpollSocketChannelConfig;
import io.netty.channel.socket.nio.NioChannelOption;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import jdk.net.ExtendedSocketOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The event stream of one subscription, on the connection's event loop: it answers the
 * subscription with a chunked {@code text/event-stream}, then takes the HTTP handlers out of the
 * pipeline and writes each announcement it is offered as one pre-framed chunk, in one write and
 * flush, so that an event never straddles two network reads of the client.
 *
 * <p>At most one write is outstanding and at most one announcement waits, replaced by newer ones
 * (format.md 10.5: the client reads one message per network read, and needs only the newest). The
 * stream is never ended while the server runs; nothing but complete messages is ever written,
 * since the client takes any other line for a broken message (format.md 10.5), so dead peers are found
 * by TCP keep-alive alone.
 */
final class EventStreamHandler extends ChannelInboundHandlerAdapter implements Subscriber {

  // A peer that vanished is dropped after 60 s + 6 x 10 s, well within common NAT timeouts.
  static final int KEEP_ALIVE_IDLE_SECONDS = 60;
  static final int KEEP_ALIVE_INTERVAL_SECONDS = 10;
  static final int KEEP_ALIVE_PROBES = 6;

  private static final Logger LOG = LoggerFactory.getLogger(EventStreamHandler.class);

  private final NotificationHub hub;
  private final String repository;
  private final Channel channel;
  private final AtomicReference<Announcement> pending = new AtomicReference<>();
  // Touched only on the event loop.
  private ChannelHandlerContext ctx;
  private Announcement written;
  private boolean writing;

  EventStreamHandler(NotificationHub hub, String repository, Channel channel) {
    this.hub = hub;
    this.repository = repository;
    this.channel = channel;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    ctx.writeAndFlush(responseHead()); // encoded at once, on this event loop
    // From here on only whole, pre-framed chunks go out and nothing is read: like a protocol
    // upgrade, the connection leaves HTTP. Without the idle timeout a quiet stream stays open.
    ChannelPipeline pipeline = ctx.pipeline();
    for (String name : List.of(HttpServer.BYTES_HANDLER, HttpServer.IDLE_HANDLER, HttpServer.CODEC_HANDLER,
        HttpServer.EXPECT_CONTINUE_HANDLER, HttpServer.KEEP_ALIVE_HANDLER)) {
      if (pipeline.get(name) != null) {
        pipeline.remove(name);
      }
    }
    enableKeepAliveProbes(channel.config());
    if (hub.subscribe(repository, this)) {
      channel.closeFuture().addListener(closed -> hub.unsubscribe(repository, this));
    } else {
      ctx.close();
    }
  }

  private static HttpResponse responseHead() {
    HttpResponse response = new DefaultHttpResponse(HTTP_1_1, HttpResponseStatus.OK);
    response.headers()
        .set(HttpHeaderNames.CONTENT_TYPE, "text/event-stream")
        .set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_CACHE)
        .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE)
        .set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
    return response;
  }

  private static void enableKeepAliveProbes(ChannelConfig config) {
    config.setOption(ChannelOption.SO_KEEPALIVE, true);
    if (config instanceof EpollSocketChannelConfig epoll) {
      epoll.setTcpKeepIdle(KEEP_ALIVE_IDLE_SECONDS)
          .setTcpKeepIntvl(KEEP_ALIVE_INTERVAL_SECONDS)
          .setTcpKeepCnt(KEEP_ALIVE_PROBES);
    } else {
      // The JDK's own socket options; setOption returns false where the platform lacks them.
      config.setOption(NioChannelOption.of(ExtendedSocketOptions.TCP_KEEPIDLE), KEEP_ALIVE_IDLE_SECONDS);
      config.setOption(NioChannelOption.of(ExtendedSocketOptions.TCP_KEEPINTERVAL), KEEP_ALIVE_INTERVAL_SECONDS);
      config.setOption(NioChannelOption.of(ExtendedSocketOptions.TCP_KEEPCOUNT), KEEP_ALIVE_PROBES);
    }
  }

  @Override
  public Executor writer() {
    return channel.eventLoop();
  }

  @Override
  public boolean offer(Announcement announcement) {
    Announcement before = pending.getAndAccumulate(announcement,
        (waiting, offered) -> offered.supersedes(waiting) ? offered : waiting);
    return before == null;
  }

  /** Writes the waiting announcement, unless a write is in progress or the socket is full. */
  @Override
  public void writePending() {
    if (writing || !channel.isWritable()) {
      return; // resumed when the write completes or the socket drains
    }
    Announcement next = pending.getAndSet(null);
    if (next == null || !next.supersedes(written)) {
      return;
    }
    writing = true;
    written = next;
    ctx.writeAndFlush(Unpooled.wrappedBuffer(next.chunk())).addListener(this::writeDone);
  }

  private void writeDone(Future<? super Void> write) {
    writing = false;
    if (write.isSuccess()) {
      writePending();
    } else {
      ctx.close();
    }
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    writePending();
    ctx.fireChannelWritabilityChanged();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    // A subscriber has nothing more to say; whatever it sends must not reach the routes.
    ReferenceCountUtil.release(msg);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    LOG.debug("closing the stream of {} to {}", repository, channel.remoteAddress(), cause);
    ctx.close();
  }

  @Override
  public java.util.concurrent.Future<?> closeAbruptly(Duration delay) {
    try {
      channel.eventLoop().schedule(() -> channel.close(), delay.toNanos(), TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException e) {
      channel.close(); // the event loop is going, and closes its channels itself
    }
    return channel.closeFuture();
  }
}
