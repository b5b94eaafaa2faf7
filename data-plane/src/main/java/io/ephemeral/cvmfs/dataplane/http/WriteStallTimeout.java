package io.ephemeral.cvmfs.dataplane.http;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ChannelPromise;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.epoll.EpollTcpInfo;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Closes a connection whose pending output has made no progress for the write timeout: the client
 * asked for a large response and stopped reading, which would otherwise hold the connection, the
 * queued buffers and the open file of a {@code sendfile} forever. Progress is what the socket
 * takes, not writes completing: a multi-GiB file region completes once, at its end, and a slow
 * client that keeps reading is never cut. Most of what a slow client takes comes out of the
 * kernel's send buffer (up to 4 MiB), which is refilled only once a third of it is free; so on
 * Linux the kernel is asked too whether it sent any data lately (zero-window probes to a client
 * that reads nothing carry none). It looks only while output is pending, so idle and streaming
 * connections cost nothing; it sits first in the pipeline to see every write.
 */
final class WriteStallTimeout extends ChannelDuplexHandler {

  private final long timeoutNanos;
  private final long checkMillis;
  private final ConnectionStats stats;
  private ScheduledFuture<?> check;
  private EpollTcpInfo tcpInfo;
  private long lastCheck;
  private long lastProgress;
  private int lastMessage;
  private long lastPending = -1;
  private long lastMessageProgress = -1;

  WriteStallTimeout(long timeoutMillis, ConnectionStats stats) {
    this.timeoutNanos = TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
    // Checked a few times per timeout: a stall is noticed at most a quarter late.
    this.checkMillis = Math.max(10, timeoutMillis / 4);
    this.stats = stats;
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
    ctx.write(msg, promise);
    if (check == null && ctx.channel().isActive()) {
      lastProgress = System.nanoTime();
      lastCheck = lastProgress;
      lastPending = -1;
      lastMessageProgress = -1;
      check = ctx.executor().schedule(() -> check(ctx), checkMillis, TimeUnit.MILLISECONDS);
    }
  }

  private void check(ChannelHandlerContext ctx) {
    check = null;
    if (!ctx.channel().isActive()) {
      return;
    }
    ChannelOutboundBuffer output = ctx.channel().unsafe().outboundBuffer();
    if (output == null || (output.isEmpty() && output.totalPendingWriteBytes() == 0)) {
      return; // all written: the next write starts looking again
    }
    long now = System.nanoTime();
    int message = System.identityHashCode(output.current());
    long pending = output.totalPendingWriteBytes();
    long progress = output.currentProgress();
    boolean kernelSent = kernelSentSince(ctx, now - lastCheck);
    lastCheck = now;
    if (message != lastMessage || pending != lastPending || progress != lastMessageProgress || kernelSent) {
      lastMessage = message;
      lastPending = pending;
      lastMessageProgress = progress;
      lastProgress = now;
    } else if (now - lastProgress >= timeoutNanos) {
      stats.countWriteStall();
      ctx.close();
      return;
    }
    check = ctx.executor().schedule(() -> check(ctx), checkMillis, TimeUnit.MILLISECONDS);
  }

  /** Whether the socket sent data within the last {@code nanos}, as far as the kernel tells. */
  private boolean kernelSentSince(ChannelHandlerContext ctx, long nanos) {
    if (!(ctx.channel() instanceof EpollSocketChannel socket)) {
      return false;
    }
    try {
      tcpInfo = socket.tcpInfo(tcpInfo == null ? new EpollTcpInfo() : tcpInfo);
      return tcpInfo.lastDataSent() < TimeUnit.NANOSECONDS.toMillis(nanos);
    } catch (RuntimeException e) {
      return false; // closed meanwhile; the outbound buffer decides
    }
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    if (check != null) {
      check.cancel(false);
      check = null;
    }
  }
}
