package io.ephemeral.cvmfs.dataplane.client;

import java.time.Duration;

/**
 * How often, and after how long, a transient failure is tried again: {@code retries} more attempts,
 * waiting {@code initialDelay} before the first and twice as long before each next one, at most
 * {@code maxDelay}.
 */
public record RetryPolicy(int retries, Duration initialDelay, Duration maxDelay) {

  public static final Duration MAX_DELAY = Duration.ofSeconds(60);

  public RetryPolicy {
    if (retries < 0) {
      throw new IllegalArgumentException("retries must not be negative");
    }
  }

  public static RetryPolicy of(int retries, Duration initialDelay) {
    return new RetryPolicy(retries, initialDelay, MAX_DELAY);
  }

  /** The wait after {@code failedAttempts} failed attempts (1, 2, …): initial, doubled each time, capped. */
  public Duration delay(int failedAttempts) {
    Duration delay = initialDelay;
    for (int i = 1; i < failedAttempts && delay.compareTo(maxDelay) < 0; i++) {
      delay = delay.multipliedBy(2);
    }
    return delay.compareTo(maxDelay) > 0 ? maxDelay : delay;
  }

  /** The wait after {@code failedAttempts}, at least what the server asked for in {@code Retry-After} (capped). */
  public Duration delay(int failedAttempts, ApiResponse response) {
    Duration delay = delay(failedAttempts);
    if (response != null && response.retryAfterSeconds().isPresent()) {
      Duration asked = Duration.ofSeconds(Math.min(response.retryAfterSeconds().get(), maxDelay.toSeconds()));
      return asked.compareTo(delay) > 0 ? asked : delay;
    }
    return delay;
  }
}
