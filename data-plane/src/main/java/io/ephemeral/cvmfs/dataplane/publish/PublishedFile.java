package io.ephemeral.cvmfs.dataplane.publish;

import io.ephemeral.cvmfs.dataplane.format.Chunk;
import io.ephemeral.cvmfs.dataplane.format.Compression;
import io.ephemeral.cvmfs.dataplane.format.DirectoryEntry;
import io.ephemeral.cvmfs.dataplane.format.ObjectKind;
import io.ephemeral.cvmfs.dataplane.format.ObjectStore;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.zip.Inflater;
import java.util.zip.InflaterInputStream;

/** Reads the content of a published regular file back from the object store. */
public final class PublishedFile {

  private PublishedFile() {}

  /** The plain bytes of {@code entry}, its objects inflated and its chunks joined in order. */
  public static InputStream open(ObjectStore store, DirectoryEntry entry) throws IOException {
    if (!entry.isChunked()) {
      return decode(entry, Files.newInputStream(store.pathOf(entry.hash(), ObjectKind.FILE)));
    }
    List<InputStream> pieces = new ArrayList<>();
    for (Chunk chunk : entry.chunks()) {
      pieces.add(decode(entry, Files.newInputStream(store.pathOf(chunk.hash(), ObjectKind.CHUNK))));
    }
    return new SequenceInputStream(Collections.enumeration(pieces));
  }

  private static InputStream decode(DirectoryEntry entry, InputStream stored) {
    return entry.compression() == Compression.ZLIB ? new InflaterInputStream(stored, new Inflater(), 1 << 16)
        : stored;
  }
}
