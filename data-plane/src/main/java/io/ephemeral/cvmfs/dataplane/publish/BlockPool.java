package io.ephemeral.cvmfs.dataplane.publish;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The blocks large files are read into, reused once every chunk cut from them is stored. A
 * publish of gigabytes would otherwise allocate as much: fresh arrays are zeroed, their pages
 * faulted in and the live ones copied by the garbage collector, which together cost more CPU
 * than hashing the bytes. At most {@code capacity} free blocks are kept.
 */
final class BlockPool {

  // Below the size at which the garbage collector treats an array as humongous.
  static final int BLOCK_SIZE = 256 * 1024;

  private final int capacity;
  private final Queue<byte[]> free = new ConcurrentLinkedQueue<>();
  private final AtomicInteger freeCount = new AtomicInteger();

  BlockPool(long retainedBytes) {
    this.capacity = (int) Math.max(1, retainedBytes / BLOCK_SIZE);
  }

  /** A block of {@link #BLOCK_SIZE} bytes with one reference, the caller's. */
  Block take() {
    byte[] bytes = free.poll();
    if (bytes == null) {
      bytes = new byte[BLOCK_SIZE];
    } else {
      freeCount.decrementAndGet();
    }
    return new Block(bytes);
  }

  private void giveBack(byte[] bytes) {
    if (freeCount.incrementAndGet() <= capacity) {
      free.offer(bytes);
    } else {
      freeCount.decrementAndGet();
    }
  }

  /** A block shared by the reader and the chunks that span it; back to the pool with the last release. */
  final class Block {
    private final byte[] bytes;
    private final AtomicInteger references = new AtomicInteger(1);

    private Block(byte[] bytes) {
      this.bytes = bytes;
    }

    byte[] bytes() {
      return bytes;
    }

    void retain() {
      references.incrementAndGet();
    }

    void release() {
      if (references.decrementAndGet() == 0) {
        giveBack(bytes);
      }
    }
  }
}
