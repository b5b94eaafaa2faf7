package io.ephemeral.cvmfs.dataplane.server;

import io.ephemeral.cvmfs.dataplane.http.ConnectionLimits;
import io.ephemeral.cvmfs.dataplane.http.HttpServerConfig;
import io.ephemeral.cvmfs.dataplane.maintenance.MaintenanceSettings;
import io.ephemeral.cvmfs.dataplane.publish.PublicationPolicy;
import io.ephemeral.cvmfs.dataplane.repository.DataLayout;
import io.ephemeral.cvmfs.dataplane.repository.RepositoryOptions;
import io.ephemeral.cvmfs.dataplane.storage.StorageConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * Everything a running data plane is configured with, gathered in one place from flags and
 * environment by the {@code serve} command.
 *
 * @param keysDirectory where the key files are, or {@code null} for {@code keys/} under the data directory
 * @param notificationPort second port serving only the notification API; 0 picks one, -1 disables it
 * @param publicUrl base URL clients reach this server at, written into client configurations
 * @param tokenFile file holding the publish token of every repository, or {@code null}
 * @param token the publish token itself, or {@code null}; else tokens live in {@code keys/FQRN.token}
 * @param housekeepingInterval how often expired publications and stale uploads are removed
 * @param legacyApiWithoutToken let the earlier service's endpoints write without a token
 * @param maintenance garbage collection and whitelist handling
 * @param objectCacheBytes memory for small objects served without touching the disk; 0 for none
 * @param connections header and idle timeouts and connection limits, of each port
 * @param shutdownGrace how long a shutdown waits for requests in flight before it cuts them; zero cuts at once
 * @param storage where the repositories are kept: the data directory, or object storage
 */
public record DataPlaneConfig(
    Path dataDirectory,
    Path keysDirectory,
    List<String> repositories,
    RepositoryOptions creationOptions,
    long minRevision,
    String bindAddress,
    int port,
    int notificationPort,
    String publicUrl,
    Path tokenFile,
    String token,
    PublicationPolicy policy,
    Duration housekeepingInterval,
    boolean legacyApiWithoutToken,
    MaintenanceSettings maintenance,
    long objectCacheBytes,
    ConnectionLimits connections,
    Duration shutdownGrace,
    StorageConfig storage) {

  /**
   * Fits Kubernetes' default terminationGracePeriodSeconds (30) with room for what follows the
   * drain: the pod is killed 30 s after SIGTERM whatever it is doing.
   */
  public static final Duration DEFAULT_SHUTDOWN_GRACE = Duration.ofSeconds(25);

  public DataPlaneConfig {
    Objects.requireNonNull(connections, "connections");
    Objects.requireNonNull(shutdownGrace, "shutdownGrace");
    Objects.requireNonNull(storage, "storage");
    if (shutdownGrace.isNegative()) {
      throw new IllegalArgumentException("the shutdown grace must not be negative");
    }
    repositories = List.copyOf(repositories);
    if (repositories.isEmpty()) {
      throw new IllegalArgumentException("at least one repository is needed");
    }
    if (port < 0 || port > 65535 || notificationPort < -1 || notificationPort > 65535) {
      throw new IllegalArgumentException("ports must be 0 to 65535 (the notification port may be -1 to disable it)");
    }
    if (housekeepingInterval.isNegative() || housekeepingInterval.isZero()) {
      throw new IllegalArgumentException("the housekeeping interval must be positive");
    }
    if (objectCacheBytes < 0) {
      throw new IllegalArgumentException("the object cache size must not be negative");
    }
  }

  /** With the default shutdown grace. */
  public DataPlaneConfig(Path dataDirectory, Path keysDirectory, List<String> repositories,
      RepositoryOptions creationOptions, long minRevision, String bindAddress, int port, int notificationPort,
      String publicUrl, Path tokenFile, String token, PublicationPolicy policy, Duration housekeepingInterval,
      boolean legacyApiWithoutToken, MaintenanceSettings maintenance, long objectCacheBytes,
      ConnectionLimits connections) {
    this(dataDirectory, keysDirectory, repositories, creationOptions, minRevision, bindAddress, port, notificationPort,
        publicUrl, tokenFile, token, policy, housekeepingInterval, legacyApiWithoutToken, maintenance, objectCacheBytes,
        connections, DEFAULT_SHUTDOWN_GRACE, StorageConfig.LOCAL);
  }

  /** With the default timeouts, connection limits and shutdown grace. */
  public DataPlaneConfig(Path dataDirectory, Path keysDirectory, List<String> repositories,
      RepositoryOptions creationOptions, long minRevision, String bindAddress, int port, int notificationPort,
      String publicUrl, Path tokenFile, String token, PublicationPolicy policy, Duration housekeepingInterval,
      boolean legacyApiWithoutToken, MaintenanceSettings maintenance, long objectCacheBytes) {
    this(dataDirectory, keysDirectory, repositories, creationOptions, minRevision, bindAddress, port, notificationPort,
        publicUrl, tokenFile, token, policy, housekeepingInterval, legacyApiWithoutToken, maintenance, objectCacheBytes,
        ConnectionLimits.DEFAULT);
  }

  /** A configuration for tests and embedding: loopback, free ports, defaults elsewhere. */
  public static DataPlaneConfig local(Path dataDirectory, List<String> repositories) {
    return new DataPlaneConfig(dataDirectory, null, repositories, RepositoryOptions.DEFAULT, 0, "127.0.0.1", 0, 0,
        null, null, null, PublicationPolicy.DEFAULT, Duration.ofSeconds(5), false,
        MaintenanceSettings.DEFAULT, HttpServerConfig.DEFAULT_OBJECT_CACHE_BYTES);
  }

  /** Where the data plane finds its data and keys. */
  public DataLayout layout() {
    return DataLayout.of(dataDirectory, keysDirectory);
  }

  public DataPlaneConfig withKeysDirectory(Path keys) {
    return new DataPlaneConfig(dataDirectory, keys, repositories, creationOptions, minRevision, bindAddress, port, notificationPort,
        publicUrl, tokenFile, token, policy, housekeepingInterval, legacyApiWithoutToken, maintenance, objectCacheBytes, connections, shutdownGrace, storage);
  }

  public DataPlaneConfig withHousekeepingInterval(Duration interval) {
    return new DataPlaneConfig(dataDirectory, keysDirectory, repositories, creationOptions, minRevision, bindAddress, port, notificationPort,
        publicUrl, tokenFile, token, policy, interval, legacyApiWithoutToken, maintenance, objectCacheBytes, connections, shutdownGrace, storage);
  }

  public DataPlaneConfig withPolicy(PublicationPolicy newPolicy) {
    return new DataPlaneConfig(dataDirectory, keysDirectory, repositories, creationOptions, minRevision, bindAddress, port, notificationPort,
        publicUrl, tokenFile, token, newPolicy, housekeepingInterval, legacyApiWithoutToken, maintenance, objectCacheBytes, connections, shutdownGrace, storage);
  }

  public DataPlaneConfig withMaintenance(MaintenanceSettings settings) {
    return new DataPlaneConfig(dataDirectory, keysDirectory, repositories, creationOptions, minRevision, bindAddress, port, notificationPort,
        publicUrl, tokenFile, token, policy, housekeepingInterval, legacyApiWithoutToken, settings, objectCacheBytes, connections, shutdownGrace, storage);
  }

  public DataPlaneConfig withConnections(ConnectionLimits limits) {
    return new DataPlaneConfig(dataDirectory, keysDirectory, repositories, creationOptions, minRevision, bindAddress, port, notificationPort,
        publicUrl, tokenFile, token, policy, housekeepingInterval, legacyApiWithoutToken, maintenance, objectCacheBytes, limits, shutdownGrace, storage);
  }

  public DataPlaneConfig withLegacyApiWithoutToken(boolean withoutToken) {
    return new DataPlaneConfig(dataDirectory, keysDirectory, repositories, creationOptions, minRevision, bindAddress, port, notificationPort,
        publicUrl, tokenFile, token, policy, housekeepingInterval, withoutToken, maintenance, objectCacheBytes, connections, shutdownGrace, storage);
  }

  public DataPlaneConfig withShutdownGrace(Duration grace) {
    return new DataPlaneConfig(dataDirectory, keysDirectory, repositories, creationOptions, minRevision, bindAddress, port, notificationPort,
        publicUrl, tokenFile, token, policy, housekeepingInterval, legacyApiWithoutToken, maintenance, objectCacheBytes, connections,
        grace, storage);
  }

  public DataPlaneConfig withStorage(StorageConfig newStorage) {
    return new DataPlaneConfig(dataDirectory, keysDirectory, repositories, creationOptions, minRevision, bindAddress, port, notificationPort,
        publicUrl, tokenFile, token, policy, housekeepingInterval, legacyApiWithoutToken, maintenance, objectCacheBytes, connections,
        shutdownGrace, newStorage);
  }
}
