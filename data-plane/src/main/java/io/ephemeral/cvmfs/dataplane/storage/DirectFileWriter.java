package io.ephemeral.cvmfs.dataplane.storage;

import com.sun.nio.file.ExtendedOpenOption;
import io.ephemeral.cvmfs.dataplane.format.ByteSlice;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

/**
 * Writes large objects with {@code O_DIRECT}, past the page cache. Copying into the page cache
 * is the dearest step of a large publish: on a virtual machine it costs several times the CPU of
 * hashing the same bytes, while a direct write hands them to the device almost for free. Objects
 * a client asks for are read into the cache when they are first served.
 *
 * <p>Direct writes move whole blocks from block-aligned memory, so the bytes go through one
 * aligned buffer per thread, the last block padded with zeros and cut off again by a truncate.
 * A file system that refuses direct I/O gets {@code false}, once, and the caller writes through
 * the page cache from then on.
 */
final class DirectFileWriter {

  /** Objects below this size gain little and would wait on the device one by one. */
  static final int MIN_SIZE = 1 << 20;
  private static final int BUFFER_SIZE = 1 << 20;

  private final int blockSize;
  private final ThreadLocal<ByteBuffer> buffers;
  private volatile boolean refused;

  DirectFileWriter(Path directory) {
    this.blockSize = blockSize(directory);
    this.buffers = ThreadLocal.withInitial(() ->
        ByteBuffer.allocateDirect(BUFFER_SIZE + blockSize).alignedSlice(blockSize));
  }

  private static int blockSize(Path directory) {
    try {
      long size = Files.getFileStore(directory).getBlockSize();
      // The buffer must hold whole blocks; anything odd is rounded to the common 4 KiB.
      return size > 0 && size <= BUFFER_SIZE && Long.bitCount(size) == 1 ? (int) size : 4096;
    } catch (IOException | UnsupportedOperationException e) {
      return 4096;
    }
  }

  /**
   * Writes the concatenated {@code content} to the new file {@code target}. Returns false,
   * leaving no file, when the file system does not take direct I/O.
   */
  boolean write(Path target, List<ByteSlice> content) throws IOException {
    if (refused) {
      return false;
    }
    FileChannel channel;
    try {
      channel = FileChannel.open(target, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
          ExtendedOpenOption.DIRECT);
    } catch (IOException | UnsupportedOperationException e) {
      // Some file systems create the file before they refuse the flag.
      Files.deleteIfExists(target);
      refused = true;
      return false;
    }
    try (channel) {
      ByteBuffer buffer = buffers.get();
      buffer.clear();
      long position = 0;
      for (ByteSlice slice : content) {
        for (int done = 0; done < slice.length(); ) {
          int piece = Math.min(slice.length() - done, buffer.remaining());
          buffer.put(slice.array(), slice.offset() + done, piece);
          done += piece;
          if (!buffer.hasRemaining()) {
            position = flush(channel, buffer, position);
          }
        }
      }
      long length = position + buffer.position();
      if (buffer.position() > 0) {
        // The last block is padded with zeros, which the truncate below cuts off again.
        while (buffer.position() % blockSize != 0) {
          buffer.put((byte) 0);
        }
        if (flush(channel, buffer, position) != length) {
          channel.truncate(length);
        }
      }
    } catch (IOException e) {
      Files.deleteIfExists(target);
      throw e;
    }
    return true;
  }

  private static long flush(FileChannel channel, ByteBuffer buffer, long position) throws IOException {
    buffer.flip();
    while (buffer.hasRemaining()) {
      position += channel.write(buffer, position);
    }
    buffer.clear();
    return position;
  }
}
