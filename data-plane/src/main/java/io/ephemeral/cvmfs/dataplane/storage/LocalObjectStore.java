package io.ephemeral.cvmfs.dataplane.storage;

import io.ephemeral.cvmfs.common.format.ContentHash;
import io.ephemeral.cvmfs.common.format.HashAlgorithm;
import io.ephemeral.cvmfs.common.format.ObjectKind;
import io.ephemeral.cvmfs.dataplane.format.ByteSlice;
import io.ephemeral.cvmfs.dataplane.format.ObjectEncoder;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * The object store in a local directory, {@code <repository>/data}. Every object is written under a temporary name in {@code
 * data/txn} and renamed into place, so a reader never sees a partial object. Only plain files go
 * into {@code data/txn}: {@code cvmfs_swissknife scrub} skips them there but rejects subdirectories.
 */
public final class LocalObjectStore implements ObjectStore {

  private final Path root;
  private final Path txn;
  // Unique per store instance, so that temporary names never collide with a crashed predecessor's.
  private final String tempPrefix = UUID.randomUUID() + ".";
  private final AtomicLong tempCounter = new AtomicLong();
  // Renewing an object and deleting it as garbage exclude each other per name (see deleteIfOlderThan).
  private final Object[] nameLocks = new Object[256];
  private DirectFileWriter directWriter;

  public LocalObjectStore(Path repositoryRoot) {
    this.root = repositoryRoot;
    this.txn = repositoryRoot.resolve("data").resolve("txn");
    for (int i = 0; i < nameLocks.length; i++) {
      nameLocks[i] = new Object();
    }
  }

  /** Creates {@code data/00} .. {@code data/ff} and {@code data/txn}, as cvmfs_server does. */
  public LocalObjectStore initialize() throws IOException {
    HexFormat hex = HexFormat.of();
    for (int i = 0; i < 256; i++) {
      Files.createDirectories(root.resolve("data").resolve(hex.toHexDigits((byte) i)));
    }
    Files.createDirectories(txn);
    return this;
  }

  public Path root() {
    return root;
  }

  public Path pathOf(ContentHash hash, ObjectKind kind) {
    return root.resolve(hash.objectPath(kind));
  }

  @Override
  public boolean contains(ContentHash hash, ObjectKind kind) {
    return Files.exists(pathOf(hash, kind));
  }

  @Override
  public InputStream open(ContentHash hash, ObjectKind kind) throws IOException {
    return Files.newInputStream(pathOf(hash, kind));
  }

  @Override
  public boolean keptOnDisk() {
    return true;
  }

  @Override
  public Optional<SizedStream> read(String name) throws IOException {
    Path file = root.resolve(name);
    try {
      InputStream in = Files.newInputStream(file);
      return Optional.of(new SizedStream(Files.size(file), in));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    }
  }

  @Override
  public long estimateObjects() throws IOException {
    return LocalObjectSweeper.estimateObjects(root.resolve("data"));
  }

  @Override
  public long storedBytes() throws IOException {
    try (Stream<Path> files = Files.walk(root.resolve("data"))) {
      return files.filter(Files::isRegularFile).mapToLong(LocalObjectStore::sizeOrZero).sum();
    }
  }

  private static long sizeOrZero(Path file) {
    try {
      return Files.size(file);
    } catch (IOException e) {
      return 0; // removed while walking
    }
  }

  @Override
  public SweepTotals sweep(Predicate<byte[]> keep, Instant fence, boolean dryRun) throws IOException {
    return new LocalObjectSweeper(this, keep, FileTime.from(fence), dryRun).sweep();
  }

  @Override
  public StoredObject put(ObjectEncoder.Encoded encoded, ObjectKind kind, long plainSize) throws IOException {
    Path target = pathOf(encoded.hash(), kind);
    if (refresh(target)) {
      return new StoredObject(encoded.hash(), kind, plainSize, encoded.length(), false);
    }
    Path temp = newTempFile();
    if (encoded.length() < DirectFileWriter.MIN_SIZE || !directWriter().write(temp, encoded.bytes())) {
      // A plain stream writes the heap array directly; a channel would copy it to a direct buffer first.
      try (FileOutputStream out = new FileOutputStream(temp.toFile())) {
        for (ByteSlice slice : encoded.bytes()) {
          out.write(slice.array(), slice.offset(), slice.length());
        }
      } catch (IOException e) {
        Files.deleteIfExists(temp);
        throw e;
      }
    }
    moveIntoPlace(temp, target);
    return new StoredObject(encoded.hash(), kind, plainSize, encoded.length(), true);
  }

  @Override
  public StoredObject putCompressedFile(Path plainFile, ObjectKind kind, HashAlgorithm algorithm) throws IOException {
    Path temp = newTempFile();
    CompressedFile encoded = CompressedFile.write(plainFile, temp, algorithm);
    Path target = pathOf(encoded.hash(), kind);
    if (refresh(target)) {
      Files.delete(temp);
      return new StoredObject(encoded.hash(), kind, encoded.plainSize(), encoded.storedSize(), false);
    }
    moveIntoPlace(temp, target);
    return new StoredObject(encoded.hash(), kind, encoded.plainSize(), encoded.storedSize(), true);
  }

  @Override
  public boolean renew(ContentHash hash, ObjectKind kind) {
    return refresh(pathOf(hash, kind));
  }

  /**
   * Whether {@code object} exists, renewing its modification time if so. The garbage collector
   * never deletes an object modified after it started, so touching an object a publication reuses
   * protects it, where a mere existence check could race with the sweep.
   */
  private boolean refresh(Path object) {
    synchronized (lockOf(object)) {
      // java.io.File answers a missing file with false, where NIO would build an exception for
      // every new object. A file it cannot touch is written again: same bytes, renamed over it.
      return object.toFile().setLastModified(System.currentTimeMillis());
    }
  }

  /**
   * Deletes {@code object} unless it was modified at or after {@code fence}, and returns the bytes
   * freed, or -1 if it stays. Checking and deleting happen under the lock {@link #put} renews an
   * object under, so a publication either renews the object before the check (and it stays) or
   * finds it gone afterwards (and writes it anew): one unlink, no window in between.
   */
  public long deleteIfOlderThan(Path object, FileTime fence) throws IOException {
    synchronized (lockOf(object)) {
      BasicFileAttributes attributes;
      try {
        attributes = Files.readAttributes(object, BasicFileAttributes.class);
      } catch (NoSuchFileException e) {
        return -1;
      }
      if (attributes.lastModifiedTime().compareTo(fence) >= 0) {
        return -1;
      }
      Files.delete(object);
      return attributes.size();
    }
  }

  private Object lockOf(Path object) {
    return nameLocks[Math.floorMod(object.getFileName().hashCode(), nameLocks.length)];
  }

  // Made on the first large object: it asks the file system of data/txn for its block size.
  private synchronized DirectFileWriter directWriter() {
    if (directWriter == null) {
      directWriter = new DirectFileWriter(txn);
    }
    return directWriter;
  }

  private Path newTempFile() {
    return txn.resolve(tempPrefix + tempCounter.incrementAndGet());
  }

  private static void moveIntoPlace(Path temp, Path target) throws IOException {
    try {
      Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
    } catch (FileAlreadyExistsException | NoSuchFileException e) {
      // Another writer stored the same content meanwhile: identical bytes, nothing to do.
      Files.deleteIfExists(temp);
    }
  }
}
