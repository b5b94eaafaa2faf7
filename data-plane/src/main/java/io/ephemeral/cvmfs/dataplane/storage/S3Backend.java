package io.ephemeral.cvmfs.dataplane.storage;

import io.ephemeral.cvmfs.dataplane.repository.DataLayout;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Clock;
import java.time.Duration;
import java.util.UUID;
import java.util.function.Supplier;

/** Repositories in one bucket (and key prefix) of S3-compatible object storage. */
public final class S3Backend implements StorageBackend {

  private final S3Bucket bucket;
  private final Duration leaseTerm;
  private final String name;
  private final Supplier<String> advertisedUrl;
  private volatile Runnable onWriterLost = () -> { };

  private S3Backend(S3Bucket bucket, Duration leaseTerm, Supplier<String> advertisedUrl) {
    this.bucket = bucket;
    this.leaseTerm = leaseTerm;
    this.name = hostName() + "/" + UUID.randomUUID();
    this.advertisedUrl = advertisedUrl;
  }

  /**
   * Connects to the bucket, failing at once with a clear message if it is missing or out of reach.
   *
   * @param advertisedUrl where this process's API is reached, asked whenever a lease is written;
   *     may give {@code null} until it is known
   */
  public static S3Backend connect(S3Settings settings, Duration leaseTerm, Supplier<String> advertisedUrl)
      throws IOException {
    return new S3Backend(S3Bucket.connect(settings), leaseTerm, advertisedUrl);
  }

  /** Who this process is in the writer leases it takes. */
  public WriterLease.Holder holder() {
    return new WriterLease.Holder(name, advertisedUrl.get());
  }

  /**
   * @throws WriterLeaseHeldException if another process writes {@code fqrn}: {@link #follow} it instead
   */
  @Override
  public RepositoryStorage open(DataLayout layout, String fqrn) throws IOException {
    WriterLease lease = WriterLease.acquire(bucket, leaseKey(fqrn), this::holder, leaseTerm, Clock.systemUTC(),
        () -> onWriterLost.run());
    try {
      return new S3Storage(bucket, bucket.settings().key(fqrn), stateKey(fqrn), layout.scratch(fqrn), lease);
    } catch (RuntimeException e) {
      lease.close();
      throw e;
    }
  }

  /** Runs {@code action} when this process finds another one has taken over a repository it wrote. */
  public void whenWriterLost(Runnable action) {
    this.onWriterLost = action;
  }

  /** Reads {@code fqrn} as another process writes it. */
  public FollowedStorage follow(DataLayout layout, String fqrn) {
    return new FollowedStorage(bucket, bucket.settings().key(fqrn), leaseKey(fqrn), layout.scratch(fqrn));
  }

  private String stateKey(String fqrn) {
    return bucket.settings().key("state/" + fqrn);
  }

  private String leaseKey(String fqrn) {
    return stateKey(fqrn) + "/writer.lease";
  }

  @Override
  public void close() {
    bucket.close();
  }

  private static String hostName() {
    String pod = System.getenv("HOSTNAME");
    if (pod != null && !pod.isBlank()) {
      return pod;
    }
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (UnknownHostException e) {
      return "unknown-host";
    }
  }
}
