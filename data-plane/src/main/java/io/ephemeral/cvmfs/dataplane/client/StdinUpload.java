package io.ephemeral.cvmfs.dataplane.client;

import java.io.IOException;
import java.io.InputStream;

/** Standard input, sent as it comes; it can be read only once, so it is never retried. */
public final class StdinUpload implements UploadSource {

  private final InputStream in;
  private final String format;
  private boolean opened;

  public StdinUpload(InputStream in, String format) {
    this.in = in;
    this.format = format;
  }

  @Override
  public synchronized UploadBody open() throws IOException {
    if (opened) {
      throw new SourceFailure("standard input was read already and cannot be sent again", null);
    }
    opened = true;
    return new UploadBody(in, -1);
  }

  @Override
  public boolean repeatable() {
    return false;
  }

  @Override
  public String format() {
    return format;
  }
}
