package io.ephemeral.cvmfs.dataplane.client;

import java.io.PrintStream;

/**
 * A one-line bar redrawn with {@code \r}: bytes sent, rate and time left when the size is known,
 * bytes and rate when it is not; then "publishing" while the server commits.
 */
final class TerminalBar implements ProgressRenderer {

  private static final int WIDTH = 24;

  private final PrintStream out;
  private String label = "";
  private int lastLength;

  TerminalBar(PrintStream out) {
    this.out = out;
  }

  @Override
  public long intervalMillis() {
    return 200;
  }

  @Override
  public void begin(String what, long total, int attempt) {
    label = (attempt > 1 ? "attempt " + attempt + ": " : "") + what;
    lastLength = 0;
  }

  @Override
  public synchronized void update(ProgressSnapshot snapshot) {
    draw(line(snapshot), false);
  }

  @Override
  public synchronized void end(ProgressSnapshot snapshot, String outcome) {
    draw(label + " " + Units.bytes(snapshot.sent()) + " in " + Units.duration(snapshot.elapsed()) + " ("
        + Units.rate(snapshot.rate()) + "), " + outcome, true);
  }

  private String line(ProgressSnapshot snapshot) {
    StringBuilder line = new StringBuilder(label).append(' ');
    if (snapshot.bodySent()) {
      return line.append(Units.bytes(snapshot.sent())).append(" sent (").append(Units.rate(snapshot.rate()))
          .append("), publishing…").toString();
    }
    if (snapshot.percent().isPresent()) {
      int filled = snapshot.percent().get() * WIDTH / 100;
      line.append('[').append("#".repeat(filled)).append("-".repeat(WIDTH - filled)).append("] ")
          .append(snapshot.percent().get()).append("% ")
          .append(Units.bytes(snapshot.sent())).append(" / ").append(Units.bytes(snapshot.total()))
          .append("  ").append(Units.rate(snapshot.rate()));
      snapshot.eta().ifPresent(eta -> line.append("  ETA ").append(Units.duration(eta)));
    } else {
      line.append(Units.bytes(snapshot.sent())).append("  ").append(Units.rate(snapshot.rate()))
          .append("  ").append(Units.duration(snapshot.elapsed()));
    }
    return line.toString();
  }

  private void draw(String text, boolean last) {
    // Blank out what a longer earlier line left behind.
    String padding = " ".repeat(Math.max(0, lastLength - text.length()));
    out.print("\r" + text + padding + (last ? "\n" : ""));
    out.flush();
    lastLength = last ? 0 : text.length();
  }
}
