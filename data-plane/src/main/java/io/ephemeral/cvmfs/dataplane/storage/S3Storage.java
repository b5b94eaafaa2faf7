package io.ephemeral.cvmfs.dataplane.storage;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A repository kept in a bucket: objects under {@code <prefix>/<fqrn>/data/}, the top-level
 * files beside them, and the state database, options and reflog under {@code
 * <prefix>/state/<fqrn>/}. Saving goes in the order a revision needs: its objects and catalogs
 * are stored while it is built, then the state, then the reflog, then the manifest, so the
 * manifest in the bucket always names a revision whose objects are all there.
 *
 * <p>The state and the manifest are written conditionally on the entity tag this process last
 * saw: should another process have taken the repository over meanwhile (a lease that lapsed
 * while this one stalled), the write fails instead of forking the history.
 */
final class S3Storage implements RepositoryStorage {

  static final String STATE = "state.db";
  static final String OPTIONS = "options.json";
  static final String MANIFEST = ".cvmfspublished";
  static final String REFLOG = ".cvmfsreflog";
  /** The local name of the reflog database, which the served tree carries as {@link #REFLOG}. */
  static final String REFLOG_DATABASE = "reflog.db";
  private static final List<String> RESTORED_FILES = List.of(".cvmfswhitelist", ".cvmfs_master_replica");

  private final S3Bucket bucket;
  private final String served;
  private final String state;
  private final S3ObjectStore objects;
  private final WriterLease lease;
  // Entity tags of the conditionally written objects, as last read or written here.
  private final Map<String, String> etags = new ConcurrentHashMap<>();

  S3Storage(S3Bucket bucket, String served, String state, Path scratch, WriterLease lease) {
    this.bucket = bucket;
    this.served = served;
    this.state = state;
    this.objects = new S3ObjectStore(bucket, served, scratch);
    this.lease = lease;
  }

  @Override
  public ObjectStore objects() {
    return objects;
  }

  @Override
  public boolean isRemote() {
    return true;
  }

  @Override
  public void restore(Path stateDirectory, Path servedDirectory) throws IOException {
    Files.createDirectories(stateDirectory);
    Files.createDirectories(servedDirectory);
    Optional<S3Bucket.Versioned> database = bucket.getVersioned(state + "/" + STATE);
    Optional<S3Bucket.Versioned> manifest = bucket.getVersioned(served + "/" + MANIFEST);
    if (database.isEmpty() && manifest.isPresent()) {
      throw new IOException("s3://" + bucket.settings().bucket() + "/" + served + " holds a repository without this data"
          + " plane's state (" + state + "/" + STATE + " is missing): it was written by another tool; refusing to"
          + " overwrite it");
    }
    manifest.ifPresent(m -> etags.put(MANIFEST, m.etag()));
    if (database.isEmpty()) {
      return;
    }
    etags.put(STATE, database.get().etag());
    // A write-ahead log left by an earlier local database would be replayed onto the restored one.
    for (String leftover : List.of(STATE + "-wal", STATE + "-shm", REFLOG_DATABASE + "-wal", REFLOG_DATABASE + "-shm")) {
      Files.deleteIfExists(stateDirectory.resolve(leftover));
    }
    Files.write(stateDirectory.resolve(STATE), database.get().content());
    restoreFile(state + "/" + OPTIONS, stateDirectory.resolve(OPTIONS));
    restoreFile(served + "/" + REFLOG, stateDirectory.resolve(REFLOG_DATABASE));
    for (String name : RESTORED_FILES) {
      restoreFile(served + "/" + name, servedDirectory.resolve(name));
    }
    // Read above already; written last, as a manifest never names a whitelist not yet there.
    if (manifest.isPresent()) {
      Files.write(servedDirectory.resolve(MANIFEST), manifest.get().content());
    } else {
      Files.deleteIfExists(servedDirectory.resolve(MANIFEST));
    }
  }

  private void restoreFile(String key, Path target) throws IOException {
    Optional<byte[]> content = bucket.get(key);
    if (content.isPresent()) {
      Files.write(target, content.get());
    } else {
      Files.deleteIfExists(target);
    }
  }

  @Override
  public void saveServed(String name, byte[] content) throws IOException {
    if (name.equals(MANIFEST)) {
      putConditionally(MANIFEST, served + "/" + MANIFEST, content, S3Bucket.Exposure.SERVED_FILE);
    } else {
      bucket.put(served + "/" + name, content, S3Bucket.Exposure.SERVED_FILE);
    }
  }

  @Override
  public void saveState(String name, Path snapshot) throws IOException {
    byte[] content = Files.readAllBytes(snapshot);
    if (name.equals(STATE)) {
      putConditionally(STATE, state + "/" + STATE, content, S3Bucket.Exposure.PRIVATE);
    } else {
      bucket.put(state + "/" + name, content, S3Bucket.Exposure.PRIVATE);
    }
  }

  private void putConditionally(String name, String key, byte[] content, S3Bucket.Exposure exposure) throws IOException {
    lease.check();
    String etag = etags.get(name);
    S3Bucket.Precondition precondition = etag == null ? S3Bucket.Precondition.ABSENT : S3Bucket.Precondition.unchanged(etag);
    try {
      etags.put(name, bucket.put(key, content, exposure, precondition));
    } catch (S3Bucket.PreconditionFailedException e) {
      lease.markLost();
      throw new WriterLostException("another process has written " + describe() + " since this one took it over: it is"
          + " the writer now; nothing more is written from here (" + e.getMessage() + ")");
    }
  }

  @Override
  public Optional<String> writer() {
    return Optional.of(lease.holderName());
  }

  @Override
  public String describe() {
    return "s3://" + bucket.settings().bucket() + "/" + served;
  }

  @Override
  public void close() {
    lease.close();
  }
}
