package io.ephemeral.cvmfs.dataplane.verify;

import java.io.IOException;

/**
 * A repository fault: something a CVMFS client or a stratum 1 would reject. It is an {@link
 * IOException} so that it can surface from {@link java.io.InputStream#read} when content read back
 * through {@link RepositoryReader} fails its checks.
 */
public class VerificationException extends IOException {

  private static final long serialVersionUID = 1L;

  public VerificationException(String message) {
    super(message);
  }

  public VerificationException(String message, Throwable cause) {
    super(message, cause);
  }
}
