package io.ephemeral.cvmfs.dataplane.storage;

import io.ephemeral.cvmfs.dataplane.repository.DataLayout;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Clock;
import java.time.Duration;
import java.util.UUID;

/** Repositories in one bucket (and key prefix) of S3-compatible object storage. */
public final class S3Backend implements StorageBackend {

  private final S3Bucket bucket;
  private final Duration leaseTerm;
  private final String holder;

  private S3Backend(S3Bucket bucket, Duration leaseTerm) {
    this.bucket = bucket;
    this.leaseTerm = leaseTerm;
    this.holder = hostName() + "/" + UUID.randomUUID();
  }

  /** Connects to the bucket, failing at once with a clear message if it is missing or out of reach. */
  public static S3Backend connect(S3Settings settings, Duration leaseTerm) throws IOException {
    return new S3Backend(S3Bucket.connect(settings), leaseTerm);
  }

  /** Who this process is in the writer leases it takes: its host (the pod) and a random suffix. */
  public String holder() {
    return holder;
  }

  @Override
  public RepositoryStorage open(DataLayout layout, String fqrn) throws IOException {
    S3Settings settings = bucket.settings();
    String state = settings.key("state/" + fqrn);
    WriterLease lease = WriterLease.acquire(bucket, state + "/writer.lease", holder, leaseTerm, Clock.systemUTC());
    try {
      return new S3Storage(bucket, settings.key(fqrn), state, layout.scratch(fqrn), lease);
    } catch (RuntimeException e) {
      lease.close();
      throw e;
    }
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
