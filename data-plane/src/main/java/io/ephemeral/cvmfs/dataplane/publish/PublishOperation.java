package io.ephemeral.cvmfs.dataplane.publish;

import java.time.Instant;

/**
 * A publication started by one request and finished after its answer: running until it has a
 * result or a failure.
 *
 * @param id the name clients ask for it by, unguessable
 * @param repository the repository it publishes into
 * @param path the path it publishes
 * @param finishedAt null while it runs
 * @param result what it published, once it succeeded
 * @param failure why it failed, once it failed
 */
public record PublishOperation(String id, String repository, String path, Instant startedAt, Instant finishedAt,
    PublishResult result, Throwable failure) {

  /** Where an operation is. */
  public enum State {
    RUNNING, SUCCEEDED, FAILED
  }

  public State state() {
    if (result != null) {
      return State.SUCCEEDED;
    }
    return failure != null ? State.FAILED : State.RUNNING;
  }

  PublishOperation succeeded(Instant at, PublishResult value) {
    return new PublishOperation(id, repository, path, startedAt, at, value, null);
  }

  PublishOperation failed(Instant at, Throwable value) {
    return new PublishOperation(id, repository, path, startedAt, at, null, value);
  }
}
