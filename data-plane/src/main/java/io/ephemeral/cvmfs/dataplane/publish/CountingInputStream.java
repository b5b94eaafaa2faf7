package io.ephemeral.cvmfs.dataplane.publish;

import io.ephemeral.cvmfs.dataplane.publish.source.LimitExceededException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/** Counts the bytes read through it, and refuses to read more than a limit. */
final class CountingInputStream extends FilterInputStream {

  private final long limit;
  private final String what;
  private long count;

  CountingInputStream(InputStream in, long limit, String what) {
    super(in);
    this.limit = limit;
    this.what = what;
  }

  long count() {
    return count;
  }

  @Override
  public int read() throws IOException {
    int b = super.read();
    if (b >= 0) {
      advance(1);
    }
    return b;
  }

  @Override
  public int read(byte[] buffer, int offset, int length) throws IOException {
    int n = super.read(buffer, offset, length);
    if (n > 0) {
      advance(n);
    }
    return n;
  }

  private void advance(int n) throws LimitExceededException {
    count += n;
    if (count > limit) {
      throw new LimitExceededException(what + " is larger than the limit of " + limit + " bytes");
    }
  }
}
