package io.ephemeral.cvmfs.dataplane.notify;

import io.ephemeral.cvmfs.dataplane.repository.Fqrn;
import java.net.URI;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;

/**
 * Everything a running {@link NotificationRelay} is configured with, gathered from flags and
 * environment by the {@code relay} command.
 *
 * @param upstream the writer's notification base URL, e.g. {@code http://writer:4929/api/v1}
 * @param repositories the repositories whose notifications are relayed
 * @param bindAddress host name or IP literal to listen on
 * @param port the port serving the notification API; 0 picks a free one
 * @param initialBackoff wait before subscribing upstream again after the first failure; doubles with each failure
 * @param maxBackoff longest wait between upstream subscriptions
 * @param upstreamConnectTimeout give up a connection attempt to the writer after this long, and
 *     try again after the backoff
 * @param upstreamIdle subscribe upstream afresh after this long without a byte from the writer,
 *     which finds a connection whose peer vanished silently; null never does
 */
public record RelayConfig(
    URI upstream,
    List<String> repositories,
    String bindAddress,
    int port,
    Duration initialBackoff,
    Duration maxBackoff,
    Duration upstreamConnectTimeout,
    Duration upstreamIdle) {

  /** From a first failure to the next attempt: quick enough that a restarted writer is found at once. */
  public static final Duration DEFAULT_INITIAL_BACKOFF = Duration.ofMillis(200);

  /** Between attempts while the writer is away: a restarted writer is followed within this. */
  public static final Duration DEFAULT_MAX_BACKOFF = Duration.ofSeconds(5);

  /**
   * As long as TCP waits before resending an unanswered SYN. While the writer is away its address
   * often answers nothing (a Service without a pod: the kernel rate-limits kube-proxy's refusals;
   * a pod just gone: silence), and the resends come 1 to 4 s apart, so an attempt left to them
   * finds a writer that is back seconds late. Relays run beside the writer: a connection takes
   * milliseconds.
   */
  public static final Duration DEFAULT_UPSTREAM_CONNECT_TIMEOUT = Duration.ofSeconds(1);

  /**
   * As long as a client polls between notifications by default (the manifest TTL, 240 s), and a
   * little more: a writer lost with its node delays announcements by no more than polling would.
   */
  public static final Duration DEFAULT_UPSTREAM_IDLE = Duration.ofMinutes(5);

  public RelayConfig {
    Objects.requireNonNull(upstream, "upstream");
    Objects.requireNonNull(bindAddress, "bindAddress");
    String scheme = upstream.getScheme();
    if (!"http".equalsIgnoreCase(scheme) && !"https".equalsIgnoreCase(scheme) || upstream.getHost() == null) {
      throw new IllegalArgumentException("the upstream must be an http(s) URL such as http://writer:4929/api/v1, not '"
          + upstream + "'");
    }
    repositories = List.copyOf(new LinkedHashSet<>(repositories)); // each once, in the order given
    if (repositories.isEmpty()) {
      throw new IllegalArgumentException("at least one repository is needed");
    }
    repositories.forEach(Fqrn::require);
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("the port must be 0 to 65535");
    }
    if (initialBackoff.isNegative() || initialBackoff.isZero() || maxBackoff.compareTo(initialBackoff) < 0) {
      throw new IllegalArgumentException("the backoff must be positive, and its maximum at least its initial value");
    }
    if (upstreamConnectTimeout.isNegative() || upstreamConnectTimeout.isZero()) {
      throw new IllegalArgumentException("the upstream connect timeout must be positive");
    }
    if (upstreamIdle != null && (upstreamIdle.isNegative() || upstreamIdle.isZero())) {
      throw new IllegalArgumentException("the upstream idle limit must be positive");
    }
  }

  /** A configuration for tests and embedding: loopback, a free port, the default backoff, timeout and idle limit. */
  public static RelayConfig local(URI upstream, List<String> repositories) {
    return new RelayConfig(upstream, repositories, "127.0.0.1", 0, DEFAULT_INITIAL_BACKOFF, DEFAULT_MAX_BACKOFF,
        DEFAULT_UPSTREAM_CONNECT_TIMEOUT, DEFAULT_UPSTREAM_IDLE);
  }

  public RelayConfig withBackoff(Duration initial, Duration max) {
    return new RelayConfig(upstream, repositories, bindAddress, port, initial, max, upstreamConnectTimeout,
        upstreamIdle);
  }

  public RelayConfig withUpstreamIdle(Duration idle) {
    return new RelayConfig(upstream, repositories, bindAddress, port, initialBackoff, maxBackoff,
        upstreamConnectTimeout, idle);
  }
}
