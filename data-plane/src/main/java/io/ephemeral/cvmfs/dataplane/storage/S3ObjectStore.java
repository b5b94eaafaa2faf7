package io.ephemeral.cvmfs.dataplane.storage;

import io.ephemeral.cvmfs.common.format.ContentHash;
import io.ephemeral.cvmfs.common.format.HashAlgorithm;
import io.ephemeral.cvmfs.common.format.ObjectKind;
import io.ephemeral.cvmfs.dataplane.format.ObjectEncoder;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Predicate;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * The object store in a bucket, under {@code <prefix>/<fqrn>/data/} as a stratum 0 serves it. An
 * object is one PUT (or one multipart upload): S3 makes it visible whole or not at all.
 *
 * <p>S3 cannot touch an object, so renewal is remembered here: the names written or found since
 * the last sweep's fence. A sweep deletes a batch only under the write side of a lock whose read
 * side every renewal holds, after dropping what was renewed meanwhile: a publication either
 * renews an object before the batch goes (and it stays) or finds it gone and uploads it again.
 * Only the writer of a repository sweeps it, so this process sees every renewal.
 */
public final class S3ObjectStore implements ObjectStore {

  private static final HexFormat HEX = HexFormat.of();
  private static final long PUT_WITHOUT_ASKING = 1 << 20;

  private final S3Bucket bucket;
  private final String root;
  private final Path scratch;
  private final Map<String, Instant> renewed = new ConcurrentHashMap<>();
  private final ReadWriteLock sweeping = new ReentrantReadWriteLock();
  // Listing a large bucket takes a request per thousand objects: the total is counted once, then
  // kept up by what is written here and recounted by each sweep.
  private final AtomicLong bytesWritten = new AtomicLong();
  private volatile long bytesCounted = -1;

  /**
   * @param root the key of the repository's served tree, {@code <prefix>/<fqrn>}
   * @param scratch a local directory for compressing catalogs before they go up
   */
  public S3ObjectStore(S3Bucket bucket, String root, Path scratch) {
    this.bucket = bucket;
    this.root = root;
    this.scratch = scratch;
  }

  private String keyOf(ContentHash hash, ObjectKind kind) {
    return root + "/" + hash.objectPath(kind);
  }

  /**
   * A small object goes up at once, on condition that none of its name exists (one request); a
   * larger one only after a HEAD found none, as sending it again would cost more than asking.
   */
  @Override
  public StoredObject put(ObjectEncoder.Encoded encoded, ObjectKind kind, long plainSize) throws IOException {
    String key = keyOf(encoded.hash(), kind);
    boolean written = encoded.length() <= PUT_WITHOUT_ASKING ? putIfAbsent(key, encoded) : !renew(key) && putIfAbsent(key, encoded);
    if (written) {
      bytesWritten.addAndGet(encoded.length());
    }
    return new StoredObject(encoded.hash(), kind, plainSize, encoded.length(), written);
  }

  /** Stores the object unless one of its name exists, which then counts as renewed; whether it was stored. */
  private boolean putIfAbsent(String key, ObjectEncoder.Encoded encoded) throws IOException {
    sweeping.readLock().lock();
    try {
      bucket.put(key, encoded.bytes(), S3Bucket.Exposure.SERVED_OBJECT, S3Bucket.Precondition.ABSENT);
      return true;
    } catch (S3Bucket.PreconditionFailedException exists) {
      renewed.put(key, Instant.now());
      return false;
    } finally {
      sweeping.readLock().unlock();
    }
  }

  @Override
  public StoredObject putCompressedFile(Path plainFile, ObjectKind kind, HashAlgorithm algorithm) throws IOException {
    Path compressed = Files.createDirectories(scratch).resolve("object-" + UUID.randomUUID());
    try {
      CompressedFile encoded = CompressedFile.write(plainFile, compressed, algorithm);
      String key = keyOf(encoded.hash(), kind);
      if (renew(key)) {
        return new StoredObject(encoded.hash(), kind, encoded.plainSize(), encoded.storedSize(), false);
      }
      bucket.putFile(key, compressed, encoded.storedSize(), S3Bucket.Exposure.SERVED_OBJECT);
      bytesWritten.addAndGet(encoded.storedSize());
      return new StoredObject(encoded.hash(), kind, encoded.plainSize(), encoded.storedSize(), true);
    } finally {
      Files.deleteIfExists(compressed);
    }
  }

  @Override
  public boolean renew(ContentHash hash, ObjectKind kind) throws IOException {
    return renew(keyOf(hash, kind));
  }

  private boolean renew(String key) throws IOException {
    sweeping.readLock().lock();
    try {
      if (bucket.size(key).isEmpty()) {
        return false;
      }
      renewed.put(key, Instant.now());
      return true;
    } finally {
      sweeping.readLock().unlock();
    }
  }

  @Override
  public boolean contains(ContentHash hash, ObjectKind kind) throws IOException {
    return bucket.size(keyOf(hash, kind)).isPresent();
  }

  @Override
  public InputStream open(ContentHash hash, ObjectKind kind) throws IOException {
    return bucket.openSized(keyOf(hash, kind)).content();
  }

  @Override
  public boolean keptOnDisk() {
    return false;
  }

  @Override
  public Optional<SizedStream> read(String name) throws IOException {
    try {
      return Optional.of(bucket.openSized(root + "/" + name));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    }
  }

  @Override
  public long estimateObjects() throws IOException {
    long[] count = {0};
    bucket.list(root + "/data/00/", page -> count[0] += page.size());
    return count[0] * 256;
  }

  /** Counted by listing once; after that, what was written since, and recounted by every sweep. */
  @Override
  public long storedBytes() throws IOException {
    if (bytesCounted < 0) {
      long[] bytes = {0};
      long written = bytesWritten.get();
      bucket.list(root + "/data/", page -> page.forEach(object -> bytes[0] += object.size()));
      bytesWritten.addAndGet(-written);
      bytesCounted = bytes[0];
    }
    return bytesCounted + bytesWritten.get();
  }

  /**
   * Lists {@code data/00/} .. {@code data/ff/} a page at a time (256 short listings rather than
   * one long one, which some stores answer ever more slowly) and deletes the condemned objects in
   * batches of exactly one DeleteObjects request, so memory holds one page and one batch whatever
   * the size of the store.
   */
  @Override
  public SweepTotals sweep(Predicate<byte[]> keep, Instant fence, boolean dryRun) throws IOException {
    // Renewals before the fence cannot save anything from this sweep or a later one.
    renewed.values().removeIf(at -> at.isBefore(fence));
    SweepTotals totals = SweepTotals.ZERO;
    List<S3Object> condemned = new ArrayList<>();
    for (int shard = 0; shard < 256; shard++) {
      String prefix = root + "/data/" + HEX.toHexDigits((byte) shard) + "/";
      String token = null;
      do {
        S3Bucket.Page page = bucket.listPage(prefix, token);
        for (S3Object object : page.objects()) {
          byte[] digest = digestOf(object.key().substring(prefix.length() - 3));
          if (digest == null || keep.test(digest) || !object.lastModified().isBefore(fence)) {
            totals = totals.plus(false, object.size());
          } else {
            condemned.add(object);
          }
          if (condemned.size() == S3Bucket.DELETE_BATCH) {
            totals = totals.plus(deleteBatch(condemned, fence, dryRun));
            condemned.clear();
          }
        }
        token = page.next();
      } while (token != null);
    }
    SweepTotals swept = totals.plus(deleteBatch(condemned, fence, dryRun));
    if (!dryRun) {
      bytesWritten.set(0);
      bytesCounted = swept.bytesKept();
    }
    return swept;
  }

  private SweepTotals deleteBatch(List<S3Object> condemned, Instant fence, boolean dryRun) throws IOException {
    SweepTotals totals = SweepTotals.ZERO;
    if (condemned.isEmpty()) {
      return totals;
    }
    sweeping.writeLock().lock();
    try {
      List<String> keys = new ArrayList<>();
      for (S3Object object : condemned) {
        Instant renewal = renewed.get(object.key());
        boolean freed = renewal == null || renewal.isBefore(fence);
        totals = totals.plus(freed, object.size());
        if (freed) {
          keys.add(object.key());
        }
      }
      if (!dryRun) {
        bucket.delete(keys);
      }
      return totals;
    } finally {
      sweeping.writeLock().unlock();
    }
  }

  /** The digest {@code xx/yyyy…[suffix]} is named after, or {@code null} for anything else. */
  private static byte[] digestOf(String name) {
    if (name.length() < 41 || name.charAt(2) != '/') {
      return null;
    }
    String hex = name.substring(0, 2) + name.substring(3, 41);
    for (int i = 0; i < hex.length(); i++) {
      char c = hex.charAt(i);
      if (!(c >= '0' && c <= '9' || c >= 'a' && c <= 'f')) {
        return null;
      }
    }
    return HEX.parseHex(hex);
  }
}
