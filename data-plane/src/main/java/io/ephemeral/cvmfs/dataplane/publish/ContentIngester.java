package io.ephemeral.cvmfs.dataplane.publish;

import io.ephemeral.cvmfs.common.format.ObjectKind;
import io.ephemeral.cvmfs.dataplane.format.ByteSlice;
import io.ephemeral.cvmfs.dataplane.format.Chunk;
import io.ephemeral.cvmfs.dataplane.format.CompressibilityProbe;
import io.ephemeral.cvmfs.dataplane.format.Compression;
import io.ephemeral.cvmfs.dataplane.format.Xor32Chunker;
import io.ephemeral.cvmfs.dataplane.publish.source.InvalidSourceException;
import io.ephemeral.cvmfs.dataplane.repository.CompressionPolicy;
import io.ephemeral.cvmfs.dataplane.repository.RepositoryOptions;
import io.ephemeral.cvmfs.dataplane.storage.ObjectStore;
import io.ephemeral.cvmfs.dataplane.storage.StoredObject;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Cuts one file into objects: files up to the minimum chunk size become one object, larger ones
 * are cut by xor32 into chunks unless the whole file ends up as a single piece (format.md 7.10, 8).
 * Reading and cutting happen on the caller's thread, encoding and storing in the pipeline.
 *
 * <p>In a repository with adaptive compression ({@code zlib}), a file that does not compress is
 * stored uncompressed, all its chunks alike (see {@link CompressibilityProbe}).
 *
 * <p>Large files are read in blocks, and a chunk goes to the pipeline as the slices of the
 * blocks it spans: the bytes are never copied on the reading thread, which is the one part of
 * a publish that runs on a single core.
 */
public final class ContentIngester {

  private final ObjectStore store;
  private final RepositoryOptions options;
  private final ObjectPipeline pipeline;
  private final Xor32Chunker chunker;

  public ContentIngester(ObjectStore store, RepositoryOptions options, ObjectPipeline pipeline) {
    this.store = store;
    this.options = options;
    this.pipeline = pipeline;
    this.chunker = new Xor32Chunker(options.chunking());
  }

  /**
   * Reads a file's content and returns where it will be stored.
   *
   * @param size the exact number of bytes to read, or -1 to read to the end of the stream
   */
  public CompletableFuture<FileContent> ingest(InputStream in, long size, String name) throws IOException {
    if (size >= 0 && size <= options.chunking().min()) {
      byte[] data = new byte[(int) size];
      int read = in.readNBytes(data, 0, data.length);
      checkComplete(name, data.length, read);
      // Whole in memory and one object: the worker decides how it is stored.
      return store(List.of(new ByteSlice(data, 0, read)), ObjectKind.FILE, options.compression())
          .thenApply(ContentIngester::whole);
    }
    Xor32Chunker.Cursor cursor = chunker.newCursor();
    BlockPool pool = pipeline.blocks();
    List<CompletableFuture<ObjectPipeline.Stored>> pieces = new ArrayList<>();
    Piece current = new Piece();
    // Every piece of a file is stored alike, since only the file's entry says how: decided
    // from the first block, before any piece goes to the pipeline.
    CompressionPolicy piecePolicy = null;
    long consumed = 0;
    int read;
    int wanted;
    do {
      wanted = (int) (size < 0 ? BlockPool.BLOCK_SIZE : Math.min(BlockPool.BLOCK_SIZE, size - consumed));
      BlockPool.Block block = pool.take();
      try {
        read = in.readNBytes(block.bytes(), 0, wanted);
        if (size >= 0) {
          checkComplete(name, wanted, read);
        }
        if (piecePolicy == null) {
          piecePolicy = CompressionPolicy.always(decide(block.bytes(), read, size));
        }
        for (int from = 0, cut; from < read; from = cut) {
          cut = cursor.next(block.bytes(), from, read);
          current.add(block, from, (cut < 0 ? read : cut) - from);
          if (cut < 0) {
            break;
          }
          pieces.add(current.store(ObjectKind.CHUNK, piecePolicy));
          current = new Piece();
        }
      } finally {
        block.release();
      }
      consumed += read;
    } while (read == wanted && consumed != size);
    if (pieces.isEmpty()) {
      // A single piece: stored as an ordinary file, without chunk rows.
      return current.store(ObjectKind.FILE, piecePolicy).thenApply(ContentIngester::whole);
    }
    pieces.add(current.store(ObjectKind.CHUNK, piecePolicy));
    long total = consumed;
    Compression compression = piecePolicy.repositoryCompression();
    return CompletableFuture.allOf(pieces.toArray(CompletableFuture[]::new)).thenApply(done -> {
      List<Chunk> chunks = new ArrayList<>(pieces.size());
      long offset = 0;
      int written = 0;
      for (CompletableFuture<ObjectPipeline.Stored> piece : pieces) {
        StoredObject object = piece.join().object();
        chunks.add(new Chunk(offset, object.size(), object.hash()));
        offset += object.size();
        written += object.written() ? 1 : 0;
      }
      return new FileContent(total, null, chunks, compression, written, pieces.size() - written);
    });
  }

  /** How every piece of a file whose first {@code length} bytes are {@code first} is stored. */
  private Compression decide(byte[] first, int length, long size) {
    if (options.compression() != CompressionPolicy.ADAPTIVE) {
      return options.compression().repositoryCompression();
    }
    // Once per file larger than the minimum chunk size, so a probe of its own costs nothing.
    CompressibilityProbe probe = new CompressibilityProbe();
    try {
      return probe.choose(List.of(new ByteSlice(first, 0, length)), size);
    } finally {
      probe.close();
    }
  }

  private CompletableFuture<ObjectPipeline.Stored> store(List<ByteSlice> content, ObjectKind kind,
      CompressionPolicy policy) throws IOException {
    // An object is at most the maximum chunk size, so its length fits an int.
    int length = (int) ByteSlice.totalLength(content);
    pipeline.reserve(length, policy);
    return pipeline.store(store, content, length, kind, policy, options.hash(), options.zlibLevel());
  }

  private static FileContent whole(ObjectPipeline.Stored stored) {
    StoredObject object = stored.object();
    return new FileContent(object.size(), object.hash(), List.of(), stored.compression(), object.written() ? 1 : 0,
        object.written() ? 0 : 1);
  }

  /** The slices of one object being cut, and the blocks they hold until it is stored. */
  private final class Piece {
    private final List<ByteSlice> slices = new ArrayList<>();
    private final List<BlockPool.Block> blocks = new ArrayList<>(2);

    void add(BlockPool.Block block, int offset, int length) {
      if (length == 0) {
        // A cut right at the start of a block.
        return;
      }
      slices.add(new ByteSlice(block.bytes(), offset, length));
      block.retain();
      blocks.add(block);
    }

    CompletableFuture<ObjectPipeline.Stored> store(ObjectKind kind, CompressionPolicy policy) throws IOException {
      return ContentIngester.this.store(slices, kind, policy).whenComplete((object, failure) -> blocks.forEach(BlockPool.Block::release));
    }
  }

  private static void checkComplete(String name, int wanted, int read) throws InvalidSourceException {
    if (read < wanted) {
      throw new InvalidSourceException("truncated content of " + name + ": expected " + wanted + " more bytes, got " + read);
    }
  }
}
