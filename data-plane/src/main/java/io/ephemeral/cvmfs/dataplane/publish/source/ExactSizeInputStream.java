package io.ephemeral.cvmfs.dataplane.publish.source;

import java.io.IOException;
import java.io.InputStream;

/**
 * Hands a visitor exactly {@code size} bytes of an entry's content. The source, not the visitor,
 * owns the underlying stream: closing this view does not close it, and once the visit is over
 * the source {@linkplain #finish(byte[]) drains} what the visitor left unread, so a short entry is
 * noticed even when the visitor stopped early.
 */
abstract class ExactSizeInputStream extends InputStream {

  private final InputStream in;
  private final byte[] single = new byte[1];
  private final long size;
  private long remaining;
  private boolean finished;

  ExactSizeInputStream(InputStream in, long size) {
    this.in = in;
    this.size = size;
    this.remaining = size;
  }

  /** The exception to throw when the underlying stream ends after {@code read} of {@code size} bytes. */
  protected abstract IOException endedEarly(long read, long size);

  @Override
  public int read() throws IOException {
    return read(single, 0, 1) < 0 ? -1 : single[0] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    if (finished) {
      throw new IOException("entry content is only readable during the visit");
    }
    if (len == 0) {
      return 0;
    }
    if (remaining == 0) {
      return -1;
    }
    int n = in.read(b, off, (int) Math.min(len, remaining));
    if (n < 0) {
      throw endedEarly(size - remaining, size);
    }
    remaining -= n;
    return n;
  }

  @Override
  public long skip(long n) throws IOException {
    // Reading rather than delegating skip keeps the length check honest for every stream kind.
    byte[] scratch = new byte[(int) Math.min(8192, Math.max(0, Math.min(n, remaining)))];
    long skipped = 0;
    while (skipped < n && remaining > 0) {
      int r = read(scratch, 0, (int) Math.min(scratch.length, n - skipped));
      skipped += r;
    }
    return skipped;
  }

  @Override
  public int available() throws IOException {
    return finished ? 0 : (int) Math.min(in.available(), remaining);
  }

  /** Consumes whatever the visitor left and makes the view unusable. */
  void finish(byte[] scratch) throws IOException {
    while (remaining > 0) {
      read(scratch, 0, (int) Math.min(scratch.length, remaining));
    }
    finished = true;
  }

  @Override
  public void close() {
    // The visitor may close its view; the underlying stream stays with the source.
  }
}
