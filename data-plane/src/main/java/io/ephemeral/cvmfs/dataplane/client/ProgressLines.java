package io.ephemeral.cvmfs.dataplane.client;

import java.io.PrintStream;

/** Progress for a log: a line when an attempt begins, one at most every few seconds, one at the end. */
final class ProgressLines implements ProgressRenderer {

  private final PrintStream out;
  private final long intervalMillis;
  private String label = "";
  private boolean saidBodySent;

  ProgressLines(PrintStream out, long intervalMillis) {
    this.out = out;
    this.intervalMillis = intervalMillis;
  }

  @Override
  public long intervalMillis() {
    return intervalMillis;
  }

  @Override
  public void begin(String what, long total, int attempt) {
    label = what;
    saidBodySent = false;
    say((attempt > 1 ? "attempt " + attempt + ": " : "") + "sending " + what
        + (total >= 0 ? " (" + Units.bytes(total) + ")" : ""));
  }

  @Override
  public synchronized void update(ProgressSnapshot snapshot) {
    if (snapshot.bodySent()) {
      if (!saidBodySent) {
        saidBodySent = true;
        say(label + ": " + Units.bytes(snapshot.sent()) + " sent in " + Units.duration(snapshot.elapsed())
            + ", waiting for the server to publish");
      }
      return;
    }
    say(label + ": " + Units.bytes(snapshot.sent())
        + snapshot.percent().map(p -> " of " + Units.bytes(snapshot.total()) + " (" + p + "%)").orElse("")
        + " at " + Units.rate(snapshot.rate())
        + snapshot.eta().map(eta -> ", " + Units.duration(eta) + " left").orElse(""));
  }

  @Override
  public synchronized void end(ProgressSnapshot snapshot, String outcome) {
    say(label + ": " + Units.bytes(snapshot.sent()) + " in " + Units.duration(snapshot.elapsed()) + " ("
        + Units.rate(snapshot.rate()) + "), " + outcome);
  }

  private void say(String line) {
    out.println(line);
    out.flush();
  }
}
