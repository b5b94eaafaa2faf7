package io.ephemeral.cvmfs.dataplane.publish;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ephemeral.cvmfs.common.format.HashAlgorithm;
import io.ephemeral.cvmfs.common.format.ObjectKind;
import io.ephemeral.cvmfs.dataplane.format.Chunk;
import io.ephemeral.cvmfs.dataplane.format.ChunkingParameters;
import io.ephemeral.cvmfs.dataplane.format.Compression;
import io.ephemeral.cvmfs.dataplane.format.Xor32Chunker;
import io.ephemeral.cvmfs.dataplane.publish.source.InvalidSourceException;
import io.ephemeral.cvmfs.dataplane.repository.CompressionPolicy;
import io.ephemeral.cvmfs.dataplane.repository.RepositoryOptions;
import io.ephemeral.cvmfs.dataplane.storage.LocalObjectStore;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.zip.InflaterInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Large files go through reused read blocks: every chunk must hold exactly its bytes of the
 * file, however the blocks were recycled meanwhile.
 */
class ContentIngesterTest {

  // Chunks of 16 to 64 KiB, cut across the 256 KiB read blocks.
  private static final ChunkingParameters SMALL_CHUNKS = new ChunkingParameters(16 << 10, 32 << 10, 64 << 10);

  @TempDir
  Path repository;

  @ParameterizedTest
  @EnumSource(CompressionPolicy.class)
  void everyChunkHoldsItsBytesWhileBlocksAreReused(CompressionPolicy compression) throws Exception {
    byte[] data = new byte[24 << 20];
    new Random(3).nextBytes(data);
    RepositoryOptions options = new RepositoryOptions(HashAlgorithm.SHA1, compression, SMALL_CHUNKS, 240, 1);
    LocalObjectStore store = new LocalObjectStore(repository).initialize();
    // A budget of a few blocks: the reader waits on the writers and blocks go round many times.
    try (ObjectPipeline pipeline = new ObjectPipeline(3, 1 << 20)) {
      for (long size : new long[] {data.length, -1}) {
        FileContent content = new ContentIngester(store, options, pipeline).ingest(new ByteArrayInputStream(data), size, "big").get();

        assertNull(content.hash());
        // Random bytes: only zlib-always compresses them.
        assertEquals(compression == CompressionPolicy.ZLIB_ALWAYS ? Compression.ZLIB : Compression.NONE,
            content.compression());
        assertEquals(data.length, content.size());
        assertEquals(expectedCuts(data), content.chunks().stream().skip(1).map(Chunk::offset).toList());
        for (Chunk chunk : content.chunks()) {
          byte[] expected = Arrays.copyOfRange(data, (int) chunk.offset(), (int) (chunk.offset() + chunk.size()));
          assertArrayEquals(expected, read(store.pathOf(chunk.hash(), ObjectKind.CHUNK), content.compression()), "chunk at " + chunk.offset());
        }
      }
    }
  }

  @Test
  void fileOfExactlyTheMaximumIsOnePiece() throws Exception {
    byte[] data = new byte[SMALL_CHUNKS.max()];
    RepositoryOptions options = new RepositoryOptions(HashAlgorithm.SHA1, CompressionPolicy.NONE, SMALL_CHUNKS, 240, 6);
    try (ObjectPipeline pipeline = new ObjectPipeline(1, 1 << 20)) {
      ContentIngester ingester = new ContentIngester(new LocalObjectStore(repository).initialize(), options, pipeline);

      FileContent known = ingester.ingest(new ByteArrayInputStream(data), data.length, "max").get();
      FileContent unknown = ingester.ingest(new ByteArrayInputStream(data), -1, "max").get();
      FileContent longer = ingester.ingest(new ByteArrayInputStream(new byte[data.length + 1]), -1, "longer").get();

      assertEquals(HashAlgorithm.SHA1.hash(data), known.hash());
      assertEquals(known.hash(), unknown.hash());
      assertEquals(List.of(0L, (long) data.length), longer.chunks().stream().map(Chunk::offset).toList());
    }
  }

  @Test
  void truncatedContentIsRefused() throws Exception {
    RepositoryOptions options = new RepositoryOptions(HashAlgorithm.SHA1, CompressionPolicy.NONE, SMALL_CHUNKS, 240, 6);
    try (ObjectPipeline pipeline = new ObjectPipeline(1, 1 << 20)) {
      ContentIngester ingester = new ContentIngester(new LocalObjectStore(repository).initialize(), options, pipeline);

      InvalidSourceException e = assertThrows(InvalidSourceException.class,
          () -> ingester.ingest(new ByteArrayInputStream(new byte[300_000]), 400_000, "short"));
      assertTrue(e.getMessage().contains("truncated content of short"), e.getMessage());
    }
  }

  private static List<Long> expectedCuts(byte[] data) {
    Xor32Chunker.Cursor cursor = new Xor32Chunker(SMALL_CHUNKS).newCursor();
    List<Long> cuts = new ArrayList<>();
    for (int at = 0; (at = cursor.next(data, at, data.length)) >= 0; ) {
      cuts.add((long) at);
    }
    return cuts;
  }

  private static byte[] read(Path object, Compression compression) throws Exception {
    try (InputStream in = Files.newInputStream(object)) {
      return compression == Compression.NONE ? in.readAllBytes() : new InflaterInputStream(in).readAllBytes();
    }
  }
}
