package io.ephemeral.cvmfs.dataplane.storage;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * A repository in a bucket that another process writes, as a follower reads it: its objects,
 * the entity tag of its manifest (cheap to poll), its top-level files, and its writer lease.
 */
public final class FollowedStorage {

  private final S3Bucket bucket;
  private final String served;
  private final String leaseKey;
  private final S3ObjectStore objects;

  FollowedStorage(S3Bucket bucket, String served, String leaseKey, Path scratch) {
    this.bucket = bucket;
    this.served = served;
    this.leaseKey = leaseKey;
    this.objects = new S3ObjectStore(bucket, served, scratch);
  }

  /** The objects, to read: a follower never writes or sweeps them. */
  public ObjectStore objects() {
    return objects;
  }

  /** The entity tag of the manifest, which changes with every revision; empty before the first. */
  public Optional<String> manifestTag() throws IOException {
    return tagOf(S3Storage.MANIFEST);
  }

  /** The entity tag of a top-level file of the served tree; empty if there is none. */
  public Optional<String> tagOf(String name) throws IOException {
    return bucket.etag(served + "/" + name);
  }

  /** A top-level file of the served tree ({@code .cvmfspublished}, {@code .cvmfswhitelist}, ...). */
  public Optional<byte[]> servedFile(String name) throws IOException {
    return bucket.get(served + "/" + name);
  }

  /** The writer lease as it stands; empty when no process has written the repository yet, or the last let go. */
  public Optional<WriterLease.Held> lease() throws IOException {
    return WriterLease.read(bucket, leaseKey);
  }

  public String describe() {
    return "s3://" + bucket.settings().bucket() + "/" + served;
  }
}
