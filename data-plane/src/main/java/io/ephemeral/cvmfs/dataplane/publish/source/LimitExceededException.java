package io.ephemeral.cvmfs.dataplane.publish.source;

/** The input would expand past a limit: too many entries, too large a file or too many bytes. */
public class LimitExceededException extends InvalidSourceException {
  public LimitExceededException(String message) {
    super(message);
  }
}
