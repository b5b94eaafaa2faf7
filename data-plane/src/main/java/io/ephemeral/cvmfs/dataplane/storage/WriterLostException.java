package io.ephemeral.cvmfs.dataplane.storage;

import io.ephemeral.cvmfs.dataplane.repository.RepositoryLockedException;

/** This process is no longer the writer of a repository: another one took it over. */
public final class WriterLostException extends RepositoryLockedException {
  public WriterLostException(String message) {
    super(message);
  }
}
