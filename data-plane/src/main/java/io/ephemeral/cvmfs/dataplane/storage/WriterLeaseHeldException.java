package io.ephemeral.cvmfs.dataplane.storage;

import io.ephemeral.cvmfs.dataplane.repository.RepositoryLockedException;

/** Another process holds the writer lease of a repository: this one can only follow it. */
public final class WriterLeaseHeldException extends RepositoryLockedException {

  private final transient WriterLease.Held held;

  public WriterLeaseHeldException(String message, WriterLease.Held held) {
    super(message);
    this.held = held;
  }

  public WriterLease.Held held() {
    return held;
  }
}
