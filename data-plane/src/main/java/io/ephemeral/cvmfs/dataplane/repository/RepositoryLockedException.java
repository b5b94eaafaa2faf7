package io.ephemeral.cvmfs.dataplane.repository;

import java.io.IOException;

/** Another process holds the repository: only one writer per data directory and repository. */
public class RepositoryLockedException extends IOException {
  public RepositoryLockedException(String message) {
    super(message);
  }
}
