package io.ephemeral.cvmfs.dataplane.storage;

import java.io.IOException;
import java.time.Duration;

/**
 * Where a data plane keeps its repositories.
 *
 * @param s3 the bucket, or {@code null} for the data directory alone
 * @param leaseTerm how long a writer lease in the bucket lasts unrenewed: the longest a crashed
 *     writer's successor waits before it takes the repository over
 */
public record StorageConfig(S3Settings s3, Duration leaseTerm) {

  public static final Duration DEFAULT_LEASE_TERM = Duration.ofSeconds(30);
  public static final StorageConfig LOCAL = new StorageConfig(null, DEFAULT_LEASE_TERM);

  public StorageConfig {
    if (leaseTerm == null || leaseTerm.toMillis() < 300) {
      throw new IllegalArgumentException("the writer lease term must be at least 300 ms");
    }
  }

  public static StorageConfig s3(S3Settings settings) {
    return new StorageConfig(settings, DEFAULT_LEASE_TERM);
  }

  /** Connects to the storage: at once, so that a missing bucket or bad credentials stop the start. */
  public StorageBackend connect() throws IOException {
    return s3 == null ? StorageBackend.LOCAL : S3Backend.connect(s3, leaseTerm);
  }
}
