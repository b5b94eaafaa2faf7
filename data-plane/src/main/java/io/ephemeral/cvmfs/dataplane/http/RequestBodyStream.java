package io.ephemeral.cvmfs.dataplane.http;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.util.ArrayDeque;

/**
 * A request body as a blocking {@link InputStream}, for a consumer on its own thread. Netty
 * feeds the parts as they arrive; once a few MiB are waiting the channel stops reading from the
 * socket, and it resumes when the consumer has caught up. So a 10 GiB upload passes through a
 * few MiB of buffers whatever the speed of either side.
 */
public final class RequestBodyStream extends InputStream {

  private static final long HIGH_WATER_BYTES = 4 << 20;
  private static final long LOW_WATER_BYTES = 1 << 20;

  private final Channel channel;
  private final ArrayDeque<ByteBuf> parts = new ArrayDeque<>();
  private boolean ended;
  private IOException failure;
  private boolean closed;
  private long received;
  private long buffered;

  public RequestBodyStream(Channel channel) {
    this.channel = channel;
  }

  /** Hands over one part of the body; the stream owns and releases it. */
  public synchronized void offer(ByteBuf part) {
    if (closed || failure != null) {
      part.release();
      return;
    }
    received += part.readableBytes();
    buffered += part.readableBytes();
    boolean wasEmpty = parts.isEmpty();
    parts.add(part);
    if (buffered >= HIGH_WATER_BYTES) {
      channel.config().setAutoRead(false);
    }
    if (wasEmpty) {
      notifyAll();
    }
  }

  /** The body is complete: the consumer sees end of stream after the last part. */
  public synchronized void end() {
    ended = true;
    notifyAll();
  }

  /** The body will never be complete (the client went away or the framing broke). */
  public synchronized void fail(IOException cause) {
    if (!ended && failure == null) {
      failure = cause;
      notifyAll();
    }
  }

  /** Bytes received from the client so far. */
  public synchronized long received() {
    return received;
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
  }

  @Override
  public synchronized int read(byte[] buffer, int offset, int length) throws IOException {
    if (length == 0) {
      return 0;
    }
    while (true) {
      if (closed) {
        throw new IOException("request body stream closed");
      }
      ByteBuf head = parts.peek();
      if (head != null) {
        int count = Math.min(length, head.readableBytes());
        head.readBytes(buffer, offset, count);
        buffered -= count;
        if (!head.isReadable()) {
          parts.poll().release();
        }
        if (buffered <= LOW_WATER_BYTES && !channel.config().isAutoRead()) {
          channel.config().setAutoRead(true);
        }
        return count;
      }
      if (failure != null) {
        throw failure;
      }
      if (ended) {
        return -1;
      }
      if (!channel.config().isAutoRead()) {
        channel.config().setAutoRead(true);
      }
      try {
        wait();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("interrupted while reading the request body");
      }
    }
  }

  /** Releases what is buffered; the rest of the body, if any, is discarded as it arrives. */
  @Override
  public synchronized void close() {
    closed = true;
    parts.forEach(ByteBuf::release);
    parts.clear();
    buffered = 0;
    channel.config().setAutoRead(true);
    notifyAll();
  }
}
