package io.ephemeral.cvmfs.dataplane.http;

import java.time.Duration;
import java.util.Objects;

/**
 * How long a connection may take and how many may be open, so that slow or idle clients cannot
 * pin file descriptors.
 *
 * @param headerTimeout time allowed for the head of a request, counted from its first byte or from
 *     the connection's opening; then 408 and close. Zero for none
 * @param idleTimeout close a connection with no request in flight after this long, and one whose
 *     request body stalls this long; never an event stream. Zero for none
 * @param maxConnections connections open at once on one server; more are closed at accept. 0 for no limit
 * @param maxConnectionsPerClient connections open at once from one client address; 0 for no limit
 */
public record ConnectionLimits(Duration headerTimeout, Duration idleTimeout, int maxConnections,
    int maxConnectionsPerClient) {

  /**
   * 10 s for a head (a CernVM-FS client or proxy sends one in a single packet), a minute of idle
   * keep-alive (Squid's own {@code pconn_timeout}), 4096 connections per server (room for direct
   * notification subscribers, well under common descriptor limits), 256 per address (far above
   * what a proxy opens to one origin, a sixteenth of the whole).
   */
  public static final ConnectionLimits DEFAULT =
      new ConnectionLimits(Duration.ofSeconds(10), Duration.ofSeconds(60), 4096, 256);

  public ConnectionLimits {
    Objects.requireNonNull(headerTimeout, "headerTimeout");
    Objects.requireNonNull(idleTimeout, "idleTimeout");
    if (headerTimeout.isNegative() || idleTimeout.isNegative()) {
      throw new IllegalArgumentException("timeouts must not be negative");
    }
    if (maxConnections < 0 || maxConnectionsPerClient < 0) {
      throw new IllegalArgumentException("connection limits must not be negative");
    }
  }
}
