package io.ephemeral.cvmfs.operator.reconcilers;

import io.ephemeral.cvmfs.operator.api.CvmfsPublication;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * When to look at a publication again: after a failure that may pass, {@code retryInterval}
 * doubled for each failure in a row up to {@link #MAX_BACKOFF}; while its publish runs on the data
 * plane, {@link #FIRST_POLL} doubled for each look up to {@link #MAX_POLL}. The counts are kept in
 * memory by namespace/name: a restarted operator starts over.
 */
final class PublicationPacing {

  /** The longest wait between two attempts while the data plane or a source fails. */
  static final Duration MAX_BACKOFF = Duration.ofMinutes(5);
  /** The first look at a running publish: most publishes of a pipeline's output take well under a second. */
  static final Duration FIRST_POLL = Duration.ofMillis(250);
  static final Duration MAX_POLL = Duration.ofSeconds(10);

  private final Duration retryInterval;
  private final Map<String, Integer> failures = new ConcurrentHashMap<>();
  private final Map<String, Integer> looks = new ConcurrentHashMap<>();

  PublicationPacing(Duration retryInterval) {
    this.retryInterval = retryInterval;
  }

  /** The wait after one more failed attempt in a row. */
  Duration afterFailure(CvmfsPublication publication) {
    Duration cap = retryInterval.compareTo(MAX_BACKOFF) > 0 ? retryInterval : MAX_BACKOFF;
    return doubled(retryInterval, failures.merge(key(publication), 1, Integer::sum), cap);
  }

  /** The wait before one more look at the same running publish. */
  Duration whileRunning(CvmfsPublication publication) {
    return doubled(FIRST_POLL, looks.merge(key(publication), 1, Integer::sum), MAX_POLL);
  }

  /** An outcome settled: the failures in a row start over. */
  void settled(CvmfsPublication publication) {
    failures.remove(key(publication));
  }

  /** The running publish ended, either way: the next one is looked at soon again. */
  void publishEnded(CvmfsPublication publication) {
    looks.remove(key(publication));
  }

  /** The publication is gone. */
  void forget(CvmfsPublication publication) {
    settled(publication);
    publishEnded(publication);
  }

  /** {@code first} doubled {@code count - 1} times, at most {@code cap}. */
  private static Duration doubled(Duration first, int count, Duration cap) {
    Duration delay = first.multipliedBy(1L << Math.min(count - 1, 20));
    return delay.compareTo(cap) > 0 ? cap : delay;
  }

  private static String key(CvmfsPublication publication) {
    return publication.getMetadata().getNamespace() + "/" + publication.getMetadata().getName();
  }
}
