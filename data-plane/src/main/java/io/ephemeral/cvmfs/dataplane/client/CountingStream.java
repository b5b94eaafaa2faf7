package io.ephemeral.cvmfs.dataplane.client;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An upload body as the HTTP client reads it: counts the bytes handed over, for the progress
 * display, and remembers whether reading the source failed, so that such a failure is not
 * mistaken for the network's.
 */
final class CountingStream extends FilterInputStream {

  private final AtomicLong count = new AtomicLong();
  private volatile boolean ended;
  private volatile long endedNanos;
  private volatile IOException failure;

  CountingStream(InputStream in) {
    super(in);
  }

  long count() {
    return count.get();
  }

  /** True once the source said it has no more bytes. */
  boolean ended() {
    return ended;
  }

  /** {@link System#nanoTime()} when the source ended; meaningful once {@link #ended()}. */
  long endedNanos() {
    return endedNanos;
  }

  /** What reading the source threw, if anything. */
  IOException failure() {
    return failure;
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] buffer, int offset, int length) throws IOException {
    int n;
    try {
      n = super.read(buffer, offset, length);
    } catch (IOException e) {
      failure = e;
      throw e;
    }
    if (n < 0) {
      if (!ended) {
        endedNanos = System.nanoTime();
        ended = true;
      }
    } else {
      count.addAndGet(n);
    }
    return n;
  }
}
