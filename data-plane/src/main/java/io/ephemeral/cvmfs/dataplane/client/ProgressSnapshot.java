package io.ephemeral.cvmfs.dataplane.client;

import java.time.Duration;
import java.util.Optional;

/**
 * Where an upload stands.
 *
 * @param sent bytes handed to the connection so far
 * @param total bytes in all, or -1 when not known
 * @param elapsed spent sending: since the attempt began, until the whole body had gone
 * @param bodySent whether the whole body has gone, so that only the server's answer is awaited
 */
public record ProgressSnapshot(long sent, long total, Duration elapsed, boolean bodySent) {

  /** Bytes per second on average since the start. */
  public double rate() {
    double seconds = elapsed.toNanos() / 1e9;
    return seconds <= 0 ? 0 : sent / seconds;
  }

  /** Time left at the average rate, when the total is known and something has been sent. */
  public Optional<Duration> eta() {
    double rate = rate();
    if (total < 0 || rate <= 0 || sent > total) {
      return Optional.empty();
    }
    return Optional.of(Duration.ofMillis((long) ((total - sent) / rate * 1000)));
  }

  /** Per cent sent, when the total is known. */
  public Optional<Integer> percent() {
    return total <= 0 ? Optional.empty() : Optional.of((int) Math.min(100, sent * 100 / total));
  }
}
