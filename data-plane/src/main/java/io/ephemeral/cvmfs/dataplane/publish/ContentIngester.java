package io.ephemeral.cvmfs.dataplane.publish;

import io.ephemeral.cvmfs.common.format.ObjectKind;
import io.ephemeral.cvmfs.dataplane.format.ByteSlice;
import io.ephemeral.cvmfs.dataplane.format.Chunk;
import io.ephemeral.cvmfs.dataplane.format.ObjectStore;
import io.ephemeral.cvmfs.dataplane.format.StoredObject;
import io.ephemeral.cvmfs.dataplane.format.Xor32Chunker;
import io.ephemeral.cvmfs.dataplane.publish.source.InvalidSourceException;
import io.ephemeral.cvmfs.dataplane.repository.RepositoryOptions;
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
      return store(List.of(new ByteSlice(data, 0, read)), ObjectKind.FILE).thenApply(ContentIngester::whole);
    }
    Xor32Chunker.Cursor cursor = chunker.newCursor();
    BlockPool pool = pipeline.blocks();
    List<CompletableFuture<StoredObject>> pieces = new ArrayList<>();
    Piece current = new Piece();
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
        for (int from = 0, cut; from < read; from = cut) {
          cut = cursor.next(block.bytes(), from, read);
          current.add(block, from, (cut < 0 ? read : cut) - from);
          if (cut < 0) {
            break;
          }
          pieces.add(current.store(ObjectKind.CHUNK));
          current = new Piece();
        }
      } finally {
        block.release();
      }
      consumed += read;
    } while (read == wanted && consumed != size);
    if (pieces.isEmpty()) {
      // A single piece: stored as an ordinary file, without chunk rows.
      return current.store(ObjectKind.FILE).thenApply(ContentIngester::whole);
    }
    pieces.add(current.store(ObjectKind.CHUNK));
    long total = consumed;
    return CompletableFuture.allOf(pieces.toArray(CompletableFuture[]::new)).thenApply(done -> {
      List<Chunk> chunks = new ArrayList<>(pieces.size());
      long offset = 0;
      int written = 0;
      for (CompletableFuture<StoredObject> piece : pieces) {
        StoredObject object = piece.join();
        chunks.add(new Chunk(offset, object.size(), object.hash()));
        offset += object.size();
        written += object.written() ? 1 : 0;
      }
      return new FileContent(total, null, chunks, written, pieces.size() - written);
    });
  }

  private CompletableFuture<StoredObject> store(List<ByteSlice> content, ObjectKind kind) throws IOException {
    // An object is at most the maximum chunk size, so its length fits an int.
    int length = (int) ByteSlice.totalLength(content);
    pipeline.reserve(length, options.compression());
    return pipeline.store(store, content, length, kind, options.compression(), options.hash(), options.zlibLevel());
  }

  private static FileContent whole(StoredObject object) {
    return new FileContent(object.size(), object.hash(), List.of(), object.written() ? 1 : 0, object.written() ? 0 : 1);
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

    CompletableFuture<StoredObject> store(ObjectKind kind) throws IOException {
      return ContentIngester.this.store(slices, kind).whenComplete((object, failure) -> blocks.forEach(BlockPool.Block::release));
    }
  }

  private static void checkComplete(String name, int wanted, int read) throws InvalidSourceException {
    if (read < wanted) {
      throw new InvalidSourceException("truncated content of " + name + ": expected " + wanted + " more bytes, got " + read);
    }
  }
}
