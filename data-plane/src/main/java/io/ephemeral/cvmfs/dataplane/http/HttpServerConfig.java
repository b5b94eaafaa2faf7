package io.ephemeral.cvmfs.dataplane.http;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Objects;

/**
 * Settings of the {@link HttpServer}.
 *
 * @param bindAddress host name or IP literal to listen on
 * @param port TCP port; 0 picks a free one
 * @param manifestMaxAge {@code max-age} for the {@code .cvmfs*} files; short, because a proxy
 *     holding an old manifest delays every client behind it
 * @param objectMaxAge {@code max-age} for objects under {@code data/}, which never change
 * @param ioThreads event loop threads; 0 for Netty's default
 * @param fileThreads threads that open files and run request handlers; 0 for a default based
 *     on the number of processors
 * @param idleTimeout close connections waiting this long for their next request, or for more of a
 *     request body; zero to keep them (see {@link ConnectionLimits})
 * @param objectCacheBytes memory for small objects answered without touching the disk (see
 *     {@link ObjectCache}); 0 sends every object from its file
 * @param headerTimeout time allowed for a request head; zero for none
 * @param maxConnections connections open at once; 0 for no limit
 * @param maxConnectionsPerClient connections open at once from one address; 0 for no limit
 * @param writeTimeout close a connection whose response makes no progress this long; zero for none
 * @param maxRequestBodyBytes largest request body: a larger declared {@code Content-Length} is
 *     answered 413 from the head, and a chunked body growing past it (plus room for a route that
 *     streams the body to refuse it first, with its own 413) is cut. 0 for no limit
 */
public record HttpServerConfig(
    String bindAddress,
    int port,
    Duration manifestMaxAge,
    Duration objectMaxAge,
    int ioThreads,
    int fileThreads,
    Duration idleTimeout,
    long objectCacheBytes,
    Duration headerTimeout,
    int maxConnections,
    int maxConnectionsPerClient,
    Duration writeTimeout,
    long maxRequestBodyBytes) {

  /** 61 s: Squid by default does not cache anything with 60 s or less at all. */
  public static final Duration DEFAULT_MANIFEST_MAX_AGE = Duration.ofSeconds(61);

  /** Three days, as in the Apache configuration written by {@code cvmfs_server}. */
  public static final Duration DEFAULT_OBJECT_MAX_AGE = Duration.ofDays(3);

  /** Room for the catalogs of many publications at once, small beside the heap of a data plane pod. */
  public static final long DEFAULT_OBJECT_CACHE_BYTES = 64L << 20;

  public HttpServerConfig {
    Objects.requireNonNull(bindAddress, "bindAddress");
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port out of range: " + port);
    }
    requireNotNegative(manifestMaxAge, "manifestMaxAge");
    requireNotNegative(objectMaxAge, "objectMaxAge");
    requireNotNegative(idleTimeout, "idleTimeout");
    if (ioThreads < 0 || fileThreads < 0) {
      throw new IllegalArgumentException("negative thread count");
    }
    if (objectCacheBytes < 0) {
      throw new IllegalArgumentException("negative object cache size: " + objectCacheBytes);
    }
    if (maxRequestBodyBytes < 0) {
      throw new IllegalArgumentException("negative request body limit: " + maxRequestBodyBytes);
    }
    new ConnectionLimits(headerTimeout, idleTimeout, maxConnections, maxConnectionsPerClient, writeTimeout); // checks the rest
  }

  /** With the default header timeout and connection limits. */
  public HttpServerConfig(String bindAddress, int port, Duration manifestMaxAge, Duration objectMaxAge, int ioThreads,
      int fileThreads, Duration idleTimeout, long objectCacheBytes) {
    this(bindAddress, port, manifestMaxAge, objectMaxAge, ioThreads, fileThreads, idleTimeout, objectCacheBytes,
        ConnectionLimits.DEFAULT.headerTimeout(), ConnectionLimits.DEFAULT.maxConnections(),
        ConnectionLimits.DEFAULT.maxConnectionsPerClient(), ConnectionLimits.DEFAULT.writeTimeout(), 0);
  }

  /**
   * Listens on all interfaces, port 8080, with the default ages, thread counts and object cache,
   * and closes connections idle for a minute.
   */
  public static HttpServerConfig defaults() {
    return new HttpServerConfig(
        "0.0.0.0", 8080, DEFAULT_MANIFEST_MAX_AGE, DEFAULT_OBJECT_MAX_AGE, 0, 0,
        ConnectionLimits.DEFAULT.idleTimeout(), DEFAULT_OBJECT_CACHE_BYTES);
  }

  public HttpServerConfig withAddress(String bindAddress, int port) {
    return new HttpServerConfig(bindAddress, port, manifestMaxAge, objectMaxAge, ioThreads, fileThreads, idleTimeout,
        objectCacheBytes, headerTimeout, maxConnections, maxConnectionsPerClient, writeTimeout, maxRequestBodyBytes);
  }

  public HttpServerConfig withObjectCacheBytes(long bytes) {
    return new HttpServerConfig(bindAddress, port, manifestMaxAge, objectMaxAge, ioThreads, fileThreads, idleTimeout,
        bytes, headerTimeout, maxConnections, maxConnectionsPerClient, writeTimeout, maxRequestBodyBytes);
  }

  public HttpServerConfig withConnectionLimits(ConnectionLimits limits) {
    return new HttpServerConfig(bindAddress, port, manifestMaxAge, objectMaxAge, ioThreads, fileThreads,
        limits.idleTimeout(), objectCacheBytes, limits.headerTimeout(), limits.maxConnections(),
        limits.maxConnectionsPerClient(), limits.writeTimeout(), maxRequestBodyBytes);
  }

  public HttpServerConfig withMaxRequestBodyBytes(long bytes) {
    return new HttpServerConfig(bindAddress, port, manifestMaxAge, objectMaxAge, ioThreads, fileThreads, idleTimeout,
        objectCacheBytes, headerTimeout, maxConnections, maxConnectionsPerClient, writeTimeout, bytes);
  }

  public ConnectionLimits connectionLimits() {
    return new ConnectionLimits(headerTimeout, idleTimeout, maxConnections, maxConnectionsPerClient, writeTimeout);
  }

  public InetSocketAddress address() {
    return new InetSocketAddress(bindAddress, port);
  }

  private static void requireNotNegative(Duration duration, String name) {
    Objects.requireNonNull(duration, name);
    if (duration.isNegative()) {
      throw new IllegalArgumentException(name + " is negative: " + duration);
    }
  }
}
