package io.ephemeral.cvmfs.dataplane.publish;

import java.io.IOException;

/** A change the committer refused; {@link #reason()} says which kind of refusal. */
public class PublishException extends IOException {

  /** Why a change was refused. */
  public enum Reason { CONFLICT, NOT_FOUND }

  private final Reason reason;

  public PublishException(Reason reason, String message) {
    super(message);
    this.reason = reason;
  }

  public Reason reason() {
    return reason;
  }
}
