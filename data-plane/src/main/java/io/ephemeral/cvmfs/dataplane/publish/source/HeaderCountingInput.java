package io.ephemeral.cvmfs.dataplane.publish.source;

import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * Counts what the tar parser consumes, which locates the next header, and caps how much it may
 * consume at once, since it keeps extended headers in memory.
 */
final class HeaderCountingInput extends FilterInputStream {
  private long count;
  private long limit = Long.MAX_VALUE;
  private ByteArrayOutputStream capture;

  HeaderCountingInput(InputStream in) {
    super(in);
  }

  /** Keeps a copy of what is read from now on, until {@link #stopCapture()}. */
  void startCapture() {
    capture = new ByteArrayOutputStream(2 * ArchiveFormat.TAR_BLOCK);
  }

  byte[] stopCapture() {
    byte[] bytes = capture.toByteArray();
    capture = null;
    return bytes;
  }

  long count() {
    return count;
  }

  void limitTo(long limit) {
    this.limit = limit;
  }

  @Override
  public int read() throws IOException {
    int b = in.read();
    if (b >= 0) {
      advance(1);
      if (capture != null) {
        capture.write(b);
      }
    }
    return b;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    int n = in.read(b, off, len);
    if (n > 0) {
      advance(n);
      if (capture != null) {
        capture.write(b, off, n);
      }
    }
    return n;
  }

  @Override
  public long skip(long n) throws IOException {
    if (capture != null) {
      byte[] skipped = new byte[(int) Math.min(n, 8192)];
      int got = read(skipped, 0, skipped.length);
      return Math.max(got, 0);
    }
    long skipped = in.skip(n);
    if (skipped > 0) {
      advance(skipped);
    }
    return skipped;
  }

  @Override
  public boolean markSupported() {
    // Counting across reset would be wrong; the parser copes without mark.
    return false;
  }

  private void advance(long n) throws InvalidSourceException {
    count += n;
    if (count > limit) {
      throw new InvalidSourceException(
          "the headers of a member exceed the limit of " + TarReader.MAX_HEADER_BYTES + " bytes");
    }
  }
}
