package io.ephemeral.cvmfs.dataplane.publish;

import io.ephemeral.cvmfs.dataplane.publish.source.InvalidSourceException;

/** The input would expand past a limit of the publication policy. */
public class LimitExceededException extends InvalidSourceException {
  public LimitExceededException(String message) {
    super(message);
  }
}
