package io.ephemeral.cvmfs.dataplane.storage;

import java.io.IOException;
import java.time.Duration;
import java.util.function.Supplier;

/**
 * Where a data plane keeps its repositories.
 *
 * @param s3 the bucket, or {@code null} for the data directory alone
 * @param leaseTerm how long a writer lease in the bucket lasts unrenewed: the longest a crashed
 *     writer's successor waits before it takes the repository over
 * @param advertiseUrl where this process's API is reached by the others on the same bucket, which
 *     send it the writes for the repositories it writes; {@code null} for {@code http://HOST:PORT}
 */
public record StorageConfig(S3Settings s3, Duration leaseTerm, String advertiseUrl) {

  public static final Duration DEFAULT_LEASE_TERM = Duration.ofSeconds(30);
  public static final StorageConfig LOCAL = new StorageConfig(null, DEFAULT_LEASE_TERM, null);

  /** Whether several processes may share the repositories: one writes each, the others follow. */
  public boolean shared() {
    return s3 != null;
  }

  public StorageConfig {
    if (leaseTerm == null || leaseTerm.toMillis() < 300) {
      throw new IllegalArgumentException("the writer lease term must be at least 300 ms");
    }
    advertiseUrl = advertiseUrl == null || advertiseUrl.isBlank() ? null : bracketed(advertiseUrl.strip());
  }

  /**
   * {@code http://fd00::5:8080} as {@code http://[fd00::5]:8080}: a URL made from a pod's IPv6
   * address ({@code http://$(POD_IP):8080}) has the port after the last colon.
   */
  static String bracketed(String url) {
    int start = url.indexOf("://") + 3;
    int end = url.indexOf('/', start);
    String authority = url.substring(start, end < 0 ? url.length() : end);
    int port = authority.lastIndexOf(':');
    if (authority.startsWith("[") || port < 0 || authority.indexOf(':') == port) {
      return url;
    }
    return url.substring(0, start) + "[" + authority.substring(0, port) + "]" + authority.substring(port)
        + (end < 0 ? "" : url.substring(end));
  }

  public static StorageConfig s3(S3Settings settings) {
    return new StorageConfig(settings, DEFAULT_LEASE_TERM, null);
  }

  /**
   * Connects to the storage: at once, so that a missing bucket or bad credentials stop the start.
   *
   * @param advertisedUrl where this process's API is reached, for the followers of its repositories
   */
  public StorageBackend connect(Supplier<String> advertisedUrl) throws IOException {
    return s3 == null ? StorageBackend.LOCAL : S3Backend.connect(s3, leaseTerm, advertisedUrl);
  }

  /** {@link #connect(Supplier)} for a process nobody follows: a command-line tool, a test. */
  public StorageBackend connect() throws IOException {
    return connect(() -> null);
  }
}
