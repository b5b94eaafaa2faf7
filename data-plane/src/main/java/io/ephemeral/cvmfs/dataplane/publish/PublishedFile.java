package io.ephemeral.cvmfs.dataplane.publish;

import io.ephemeral.cvmfs.common.format.ObjectKind;
import io.ephemeral.cvmfs.dataplane.format.Chunk;
import io.ephemeral.cvmfs.dataplane.format.Compression;
import io.ephemeral.cvmfs.dataplane.format.DirectoryEntry;
import io.ephemeral.cvmfs.dataplane.storage.ObjectStore;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.io.UncheckedIOException;
import java.util.Enumeration;
import java.util.Iterator;
import java.util.zip.Inflater;
import java.util.zip.InflaterInputStream;

/** Reads the content of a published regular file back from the object store. */
public final class PublishedFile {

  private PublishedFile() {}

  /**
   * The plain bytes of {@code entry}, its objects inflated and its chunks joined in order. Chunks
   * are opened one at a time, so a file of thousands of chunks holds one descriptor.
   */
  public static InputStream open(ObjectStore store, DirectoryEntry entry) throws IOException {
    if (!entry.isChunked()) {
      return decode(entry, store.open(entry.hash(), ObjectKind.FILE));
    }
    Iterator<Chunk> chunks = entry.chunks().iterator();
    return new SequenceInputStream(new Enumeration<InputStream>() {
      @Override
      public boolean hasMoreElements() {
        return chunks.hasNext();
      }

      @Override
      public InputStream nextElement() {
        try {
          return decode(entry, store.open(chunks.next().hash(), ObjectKind.CHUNK));
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
    });
  }

  private static InputStream decode(DirectoryEntry entry, InputStream stored) {
    if (entry.compression() != Compression.ZLIB) {
      return stored;
    }
    // A 64 KiB buffer instead of the default 512 bytes; closing ends the inflater's native state.
    Inflater inflater = new Inflater();
    return new InflaterInputStream(stored, inflater, 1 << 16) {
      @Override
      public void close() throws IOException {
        try {
          super.close();
        } finally {
          inflater.end();
        }
      }
    };
  }
}
