package io.ephemeral.cvmfs.dataplane.publish.source;

import java.io.IOException;

/** The input cannot be published as it is; the message says why, naming the offending entry. */
public class InvalidSourceException extends IOException {

  public InvalidSourceException(String message) {
    super(message);
  }

  public InvalidSourceException(String message, Throwable cause) {
    super(message, cause);
  }
}
