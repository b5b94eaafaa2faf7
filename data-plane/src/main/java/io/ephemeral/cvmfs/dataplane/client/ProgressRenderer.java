package io.ephemeral.cvmfs.dataplane.client;

/** How progress is shown: a bar redrawn in place on a terminal, or occasional lines in a log. */
interface ProgressRenderer {

  /** How often {@link #update} is called while sending. */
  long intervalMillis();

  /** An attempt begins: {@code what} is sent to {@code where}, {@code total} bytes or -1. */
  void begin(String what, long total, int attempt);

  void update(ProgressSnapshot snapshot);

  /** The attempt is over, well or not; {@code outcome} says how, e.g. {@code published} or {@code failed}. */
  void end(ProgressSnapshot snapshot, String outcome);
}
