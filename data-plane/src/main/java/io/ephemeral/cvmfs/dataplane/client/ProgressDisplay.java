package io.ephemeral.cvmfs.dataplane.client;

import java.io.PrintStream;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Shows how an upload goes, on standard error: a bar on a terminal, occasional lines otherwise,
 * or nothing. A daemon thread samples the body's count at the renderer's interval.
 */
public final class ProgressDisplay {

  /** {@code --progress}: always the bar, never anything, or the bar on a terminal and lines elsewhere. */
  public enum Mode { ALWAYS, NEVER, AUTO }

  /** Lines in a log come at most this often. */
  static final long LINE_INTERVAL_MILLIS = 5000;

  private final ProgressRenderer renderer;
  private final ScheduledExecutorService ticker;
  private ScheduledFuture<?> ticking;
  private CountingStream body;
  private long total;
  private long startNanos;

  private ProgressDisplay(ProgressRenderer renderer) {
    this.renderer = renderer;
    this.ticker = renderer == null ? null : Executors.newSingleThreadScheduledExecutor(r -> {
      Thread thread = new Thread(r, "progress");
      thread.setDaemon(true);
      return thread;
    });
  }

  /**
   * @param terminal whether standard error is a terminal ({@code System.console() != null})
   */
  public static ProgressDisplay create(Mode mode, PrintStream err, boolean terminal) {
    return switch (mode) {
      case NEVER -> new ProgressDisplay(null);
      case ALWAYS -> new ProgressDisplay(new TerminalBar(err));
      case AUTO -> new ProgressDisplay(terminal ? new TerminalBar(err) : new ProgressLines(err, LINE_INTERVAL_MILLIS));
    };
  }

  /** An attempt begins to send {@code body}. */
  synchronized void begin(String what, long total, int attempt, CountingStream body) {
    if (renderer == null) {
      return;
    }
    this.body = body;
    this.total = total;
    this.startNanos = System.nanoTime();
    renderer.begin(what, total, attempt);
    ticking = ticker.scheduleAtFixedRate(this::tick, renderer.intervalMillis(),
        renderer.intervalMillis(), TimeUnit.MILLISECONDS);
  }

  /** The attempt is over; {@code outcome} says how. */
  synchronized void end(String outcome) {
    if (renderer == null || ticking == null) {
      return;
    }
    ticking.cancel(false);
    ticking = null;
    renderer.end(snapshot(), outcome);
  }

  /** Under the lock, so that no update is drawn after the end. */
  private synchronized void tick() {
    if (ticking != null) {
      renderer.update(snapshot());
    }
  }

  /** The time is that of sending: once the body has gone, waiting for the answer does not lower the rate. */
  private ProgressSnapshot snapshot() {
    boolean sent = body.ended();
    long until = sent ? body.endedNanos() : System.nanoTime();
    return new ProgressSnapshot(body.count(), total, Duration.ofNanos(until - startNanos), sent);
  }
}
