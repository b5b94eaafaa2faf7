package io.ephemeral.cvmfs.dataplane.publish;

import io.ephemeral.cvmfs.dataplane.format.Chunk;
import io.ephemeral.cvmfs.dataplane.format.ObjectKind;
import io.ephemeral.cvmfs.dataplane.format.ObjectStore;
import io.ephemeral.cvmfs.dataplane.format.StoredObject;
import io.ephemeral.cvmfs.dataplane.format.Xor32Chunker;
import io.ephemeral.cvmfs.dataplane.publish.source.InvalidSourceException;
import io.ephemeral.cvmfs.dataplane.repository.RepositoryOptions;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Cuts one file into objects: files up to the minimum chunk size become one object, larger ones
 * are cut by xor32 into chunks unless the whole file ends up as a single piece (spec 7.10, 8).
 * Reading and cutting happen on the caller's thread, encoding and storing in the pipeline.
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
    int min = options.chunking().min();
    if (size >= 0 && size <= min) {
      byte[] data = new byte[(int) size];
      readFully(in, data, 0, (int) size, name);
      return storeWhole(data, (int) size);
    }
    int max = options.chunking().max();
    byte[] window = new byte[max];
    int available = 0;
    long consumed = 0;
    boolean endOfFile = false;
    List<CompletableFuture<StoredObject>> pieces = new ArrayList<>();
    List<long[]> ranges = new ArrayList<>();
    while (!endOfFile || available > 0) {
      if (!endOfFile) {
        int wanted = (int) (size < 0 ? max - available : Math.min(max - available, size - consumed - available));
        int read = in.readNBytes(window, available, wanted);
        if (size >= 0 && read < wanted) {
          throw new InvalidSourceException("truncated content of " + name + ": expected " + wanted + " more bytes, got " + read);
        }
        available += read;
        endOfFile = size >= 0 ? consumed + available == size : read < wanted;
      }
      int cut = chunker.nextCut(window, 0, available, endOfFile);
      if (pieces.isEmpty() && endOfFile && cut == available) {
        // A single piece: stored as an ordinary file, without chunk rows.
        return storeWhole(Arrays.copyOf(window, available), available);
      }
      pipeline.reserve(cut, options.compression());
      byte[] chunk = Arrays.copyOf(window, cut);
      pieces.add(pipeline.store(store, chunk, cut, ObjectKind.CHUNK, options.compression(), options.hash(), options.zlibLevel()));
      ranges.add(new long[] {consumed, cut});
      System.arraycopy(window, cut, window, 0, available - cut);
      available -= cut;
      consumed += cut;
    }
    long total = consumed;
    return CompletableFuture.allOf(pieces.toArray(CompletableFuture[]::new)).thenApply(done -> {
      List<Chunk> chunks = new ArrayList<>(pieces.size());
      int written = 0;
      for (int i = 0; i < pieces.size(); i++) {
        StoredObject object = pieces.get(i).join();
        chunks.add(new Chunk(ranges.get(i)[0], ranges.get(i)[1], object.hash()));
        written += object.written() ? 1 : 0;
      }
      return new FileContent(total, null, chunks, written, pieces.size() - written);
    });
  }

  private CompletableFuture<FileContent> storeWhole(byte[] data, int length) throws IOException {
    pipeline.reserve(length, options.compression());
    return pipeline.store(store, data, length, ObjectKind.FILE, options.compression(), options.hash(), options.zlibLevel())
        .thenApply(object -> new FileContent(length, object.hash(), List.of(), object.written() ? 1 : 0, object.written() ? 0 : 1));
  }

  private static void readFully(InputStream in, byte[] buffer, int offset, int length, String name) throws IOException {
    int read = in.readNBytes(buffer, offset, length);
    if (read < length) {
      throw new InvalidSourceException("truncated content of " + name + ": expected " + length + " more bytes, got " + read);
    }
  }
}
