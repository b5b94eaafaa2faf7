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
 * @param writeTimeout close a connection whose response has made no progress for this long, because
 *     the client stopped reading: it would otherwise pin the connection, its buffers and the file
 *     being sent. A slow client that keeps reading is never cut. Zero for none
 */
public record ConnectionLimits(Duration headerTimeout, Duration idleTimeout, int maxConnections,
    int maxConnectionsPerClient, Duration writeTimeout) {

  /**
   * 10 s for a head (a CernVM-FS client or proxy sends one in a single packet), a minute of idle
   * keep-alive (Squid's own {@code pconn_timeout}), 4096 connections per server (room for direct
   * notification subscribers, well under common descriptor limits), 256 per address (far above
   * what a proxy opens to one origin, a sixteenth of the whole), and a minute without any progress
   * of a response (as long as the idle timeout: a client that reads nothing for that long is gone
   * or hostile; one on a slow link still takes some bytes every few seconds).
   */
  public static final ConnectionLimits DEFAULT =
      new ConnectionLimits(Duration.ofSeconds(10), Duration.ofSeconds(60), 4096, 256, Duration.ofSeconds(60));

  public ConnectionLimits {
    Objects.requireNonNull(headerTimeout, "headerTimeout");
    Objects.requireNonNull(idleTimeout, "idleTimeout");
    Objects.requireNonNull(writeTimeout, "writeTimeout");
    if (headerTimeout.isNegative() || idleTimeout.isNegative() || writeTimeout.isNegative()) {
      throw new IllegalArgumentException("timeouts must not be negative");
    }
    if (maxConnections < 0 || maxConnectionsPerClient < 0) {
      throw new IllegalArgumentException("connection limits must not be negative");
    }
  }

  /** With the default write timeout. */
  public ConnectionLimits(Duration headerTimeout, Duration idleTimeout, int maxConnections, int maxConnectionsPerClient) {
    this(headerTimeout, idleTimeout, maxConnections, maxConnectionsPerClient, DEFAULT.writeTimeout());
  }

  public ConnectionLimits withWriteTimeout(Duration timeout) {
    return new ConnectionLimits(headerTimeout, idleTimeout, maxConnections, maxConnectionsPerClient, timeout);
  }
}
