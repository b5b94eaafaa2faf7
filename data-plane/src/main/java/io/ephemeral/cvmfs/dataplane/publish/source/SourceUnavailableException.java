package io.ephemeral.cvmfs.dataplane.publish.source;

/** A remote source could not be fetched: unreachable, unknown there, or its credentials refused. */
public class SourceUnavailableException extends InvalidSourceException {

  public SourceUnavailableException(String message) {
    super(message);
  }

  public SourceUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
