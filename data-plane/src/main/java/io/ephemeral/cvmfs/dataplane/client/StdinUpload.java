package io.ephemeral.cvmfs.dataplane.client;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * Standard input, sent as it comes. It can be read only once, so an attempt that failed after
 * reading some of it is not retried; one that failed before (the server could not be reached) is.
 */
public final class StdinUpload implements UploadSource {

  private final InputStream in;
  private final String format;
  private volatile boolean consumed;

  public StdinUpload(InputStream in, String format) {
    this.in = in;
    this.format = format;
  }

  @Override
  public UploadBody open() throws IOException {
    if (consumed) {
      throw new SourceFailure("standard input was read already and cannot be sent again", null);
    }
    return new UploadBody(new FilterInputStream(in) {
      @Override
      public int read() throws IOException {
        consumed = true;
        return super.read();
      }

      @Override
      public int read(byte[] buffer, int offset, int length) throws IOException {
        consumed = true;
        return super.read(buffer, offset, length);
      }

      @Override
      public void close() {
        // standard input stays open for another attempt while nothing was read from it
      }
    }, -1);
  }

  /** As long as nothing was read from it. */
  @Override
  public boolean rereadable() {
    return false;
  }

  @Override
  public boolean repeatable() {
    return !consumed;
  }

  @Override
  public String format() {
    return format;
  }
}
