package io.ephemeral.cvmfs.dataplane.publish;

import io.ephemeral.cvmfs.common.format.HashAlgorithm;
import io.ephemeral.cvmfs.common.format.ObjectKind;
import io.ephemeral.cvmfs.dataplane.format.ByteSlice;
import io.ephemeral.cvmfs.dataplane.format.Compression;
import io.ephemeral.cvmfs.dataplane.format.ObjectEncoder;
import io.ephemeral.cvmfs.dataplane.repository.CompressionPolicy;
import io.ephemeral.cvmfs.dataplane.storage.ObjectStore;
import io.ephemeral.cvmfs.dataplane.storage.StoredObject;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Compresses, hashes and stores objects on a pool of worker threads, one per core, so that one
 * reader feeding the pipeline keeps every core busy. The bytes waiting in the pipeline are
 * bounded: a producer blocks once the budget is used up, which keeps memory flat whatever the
 * size of the input.
 */
public final class ObjectPipeline implements AutoCloseable {

  private static final int KIB = 1024;

  private final ExecutorService workers;
  private final Semaphore budgetKib;
  private final int budgetPermits;
  private final BlockPool blocks;
  private final ThreadLocal<ObjectEncoder[]> encoders = ThreadLocal.withInitial(() -> new ObjectEncoder[10]);

  public ObjectPipeline(int threads, long bytesInFlight) {
    AtomicInteger counter = new AtomicInteger();
    this.workers = Executors.newFixedThreadPool(threads, runnable -> {
      Thread thread = new Thread(runnable, "object-writer-" + counter.incrementAndGet());
      thread.setDaemon(true);
      return thread;
    });
    this.budgetPermits = (int) Math.max(1, bytesInFlight / KIB);
    this.budgetKib = new Semaphore(budgetPermits);
    // As many blocks as the objects in flight can hold stay ready for reuse.
    this.blocks = new BlockPool(bytesInFlight);
  }

  public static ObjectPipeline forThisMachine() {
    // Twice the cores: writers of small objects spend much of their time waiting on the file system.
    int threads = 2 * Runtime.getRuntime().availableProcessors();
    return new ObjectPipeline(threads, Math.min(Runtime.getRuntime().maxMemory() / 4, 256L << 20));
  }

  BlockPool blocks() {
    return blocks;
  }

  /**
   * Reserves room for an object of {@code size} bytes; blocks while the pipeline is full. The
   * reservation is released when the object handed to {@link #store} with the same size and
   * compression is stored.
   */
  public void reserve(int size, CompressionPolicy compression) throws InterruptedIOException {
    try {
      budgetKib.acquire(permits(cost(size, compression)));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while waiting for the object pipeline");
    }
  }

  /**
   * Stores the concatenated {@code content}, {@code length} bytes, as an object; the slices are
   * owned by the pipeline from now on. With {@link CompressionPolicy#ADAPTIVE} the content is
   * a whole file and the worker decides whether it is compressed.
   */
  public CompletableFuture<Stored> store(ObjectStore store, List<ByteSlice> content, int length, ObjectKind kind,
      CompressionPolicy compression, HashAlgorithm algorithm, int zlibLevel) {
    return CompletableFuture.supplyAsync(() -> {
      try {
        ObjectEncoder encoder = encoder(zlibLevel);
        try {
          ObjectEncoder.Encoded encoded = compression == CompressionPolicy.ADAPTIVE
              ? encoder.encodeAdaptive(content, algorithm)
              : encoder.encode(content, compression.repositoryCompression(), algorithm);
          return new Stored(store.put(encoded, kind, length), encoded.compression());
        } finally {
          encoder.shrink();
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      } finally {
        budgetKib.release(permits(cost(length, compression)));
      }
    }, workers);
  }

  private ObjectEncoder encoder(int level) {
    ObjectEncoder[] byLevel = encoders.get();
    if (byLevel[level] == null) {
      byLevel[level] = new ObjectEncoder(level);
    }
    return byLevel[level];
  }

  // Compressing holds the output next to the input until both are written.
  private static long cost(int size, CompressionPolicy compression) {
    return compression == CompressionPolicy.NONE ? size : 2L * size;
  }

  // An object larger than the whole budget takes all of it rather than waiting forever.
  private int permits(long size) {
    return (int) Math.min(budgetPermits, Math.max(1, (size + KIB - 1) / KIB));
  }

  /** An object stored, and how its bytes are encoded. */
  public record Stored(StoredObject object, Compression compression) {}

  @Override
  public void close() {
    workers.shutdownNow();
  }
}
