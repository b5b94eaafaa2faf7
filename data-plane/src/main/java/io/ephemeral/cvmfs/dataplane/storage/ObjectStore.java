package io.ephemeral.cvmfs.dataplane.storage;

import io.ephemeral.cvmfs.common.format.ContentHash;
import io.ephemeral.cvmfs.common.format.HashAlgorithm;
import io.ephemeral.cvmfs.common.format.ObjectKind;
import io.ephemeral.cvmfs.dataplane.format.ObjectEncoder;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * A repository's content-addressed objects, named by the digest of their stored bytes and laid
 * out under {@code data/} as a stratum 0 serves them. Objects are immutable and appear whole or
 * not at all. Publications renew the objects they reuse, so that a concurrent {@link #sweep} never
 * deletes an object a revision about to be committed references.
 */
public interface ObjectStore {

  /** Stores already encoded bytes under {@code encoded.hash()} unless an object of that name exists. */
  StoredObject put(ObjectEncoder.Encoded encoded, ObjectKind kind, long plainSize) throws IOException;

  /**
   * Stores the zlib encoding of a file, streamed (catalogs can be large), always at zlib's default
   * level: {@code cvmfs_fsck} checks catalogs by compressing them again and comparing digests.
   */
  StoredObject putCompressedFile(Path plainFile, ObjectKind kind, HashAlgorithm algorithm) throws IOException;

  /** Whether the object exists, renewing it so that a sweep under way keeps it. */
  boolean renew(ContentHash hash, ObjectKind kind) throws IOException;

  boolean contains(ContentHash hash, ObjectKind kind) throws IOException;

  /**
   * The stored bytes of an object.
   *
   * @throws java.nio.file.NoSuchFileException if there is no such object
   */
  InputStream open(ContentHash hash, ObjectKind kind) throws IOException;

  /** Whether objects are files under the served directory, which the HTTP server sends itself. */
  boolean keptOnDisk();

  /**
   * The object stored as {@code name}, a path under the served tree ({@code data/xx/…}), with its
   * size; empty when there is none.
   */
  Optional<SizedStream> read(String name) throws IOException;

  /** Stored bytes being read, and how many there are. */
  record SizedStream(long size, InputStream content) {}

  /** About how many objects the store holds, to size the garbage collector's filter. */
  long estimateObjects() throws IOException;

  /** The bytes all objects take as stored. */
  long storedBytes() throws IOException;

  /**
   * Deletes every object whose digest {@code keep} rejects and that was neither written nor renewed
   * at or after {@code fence}; with {@code dryRun}, only counts what would go.
   */
  SweepTotals sweep(Predicate<byte[]> keep, Instant fence, boolean dryRun) throws IOException;

  /** Totals of one sweep. */
  record SweepTotals(long objectsFreed, long bytesFreed, long objectsKept, long bytesKept) {
    public static final SweepTotals ZERO = new SweepTotals(0, 0, 0, 0);

    public SweepTotals plus(SweepTotals other) {
      return new SweepTotals(objectsFreed + other.objectsFreed, bytesFreed + other.bytesFreed,
          objectsKept + other.objectsKept, bytesKept + other.bytesKept);
    }

    /** Adds one object freed ({@code freed}) or kept. */
    public SweepTotals plus(boolean freed, long bytes) {
      return freed ? new SweepTotals(objectsFreed + 1, bytesFreed + bytes, objectsKept, bytesKept)
          : new SweepTotals(objectsFreed, bytesFreed, objectsKept + 1, bytesKept + bytes);
    }
  }
}
