package io.ephemeral.cvmfs.dataplane.publish;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * Passes bytes on and shows every read to {@link #onRead} and the end to {@link #onEnd}, either of
 * which may fail the read: what a check on a stream's bytes (a digest, a size ratio) is built on.
 * Single bytes and skips go through the same path, so none escapes the check.
 */
abstract class ObservedInputStream extends FilterInputStream {

  ObservedInputStream(InputStream in) {
    super(in);
  }

  /** {@code n > 0} bytes were read into {@code buffer} at {@code offset}. */
  protected abstract void onRead(byte[] buffer, int offset, int n) throws IOException;

  /** The end was reached; may be told more than once. */
  protected void onEnd() throws IOException {
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
  }

  @Override
  public int read(byte[] buffer, int offset, int length) throws IOException {
    int n = super.read(buffer, offset, length);
    if (n > 0) {
      onRead(buffer, offset, n);
    } else if (n < 0) {
      onEnd();
    }
    return n;
  }

  @Override
  public long skip(long n) throws IOException {
    int length = (int) Math.min(Math.max(n, 0), 1 << 16);
    return Math.max(read(new byte[length], 0, length), 0);
  }
}
