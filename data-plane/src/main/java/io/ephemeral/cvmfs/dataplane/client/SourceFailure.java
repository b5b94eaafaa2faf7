package io.ephemeral.cvmfs.dataplane.client;

import java.io.IOException;

/** Reading what is being uploaded failed: not the network's fault, so it is never retried. */
public final class SourceFailure extends IOException {

  public SourceFailure(String message, Throwable cause) {
    super(message, cause);
  }
}
