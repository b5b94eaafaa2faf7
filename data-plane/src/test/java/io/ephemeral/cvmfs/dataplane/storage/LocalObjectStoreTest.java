package io.ephemeral.cvmfs.dataplane.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.ephemeral.cvmfs.common.format.HashAlgorithm;
import io.ephemeral.cvmfs.common.format.ObjectKind;
import io.ephemeral.cvmfs.dataplane.format.ByteSlice;
import io.ephemeral.cvmfs.dataplane.format.Compression;
import io.ephemeral.cvmfs.dataplane.format.ObjectEncoder;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import java.util.zip.Deflater;
import java.util.zip.InflaterInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class LocalObjectStoreTest {

  @TempDir
  Path root;

  /** Sizes on and off the block and buffer boundaries the direct writer pads and cuts at. */
  @ParameterizedTest
  @ValueSource(ints = {(1 << 20) - 1, 1 << 20, (1 << 20) + 1, 3 * (1 << 20) + 4097, 5 * (1 << 20) - 1})
  void largeObjectsAreStoredByteForByte(int size) throws Exception {
    LocalObjectStore store = new LocalObjectStore(root).initialize();
    byte[] data = new byte[size + 10];
    new Random(size).nextBytes(data);
    // An offset into the array, as chunks of a larger read buffer arrive.
    ObjectEncoder.Encoded encoded = new ObjectEncoder(6).encode(data, 10, size, Compression.NONE, HashAlgorithm.SHA1);

    StoredObject stored = store.put(encoded, ObjectKind.CHUNK, size);

    Path object = store.pathOf(stored.hash(), ObjectKind.CHUNK);
    assertEquals(size, Files.size(object));
    assertArrayEquals(Arrays.copyOfRange(data, 10, 10 + size), Files.readAllBytes(object));
    assertEquals(stored.hash(), HashAlgorithm.SHA1.hash(Files.readAllBytes(object)));
    try (Stream<Path> txn = Files.list(root.resolve("data/txn"))) {
      assertEquals(0, txn.count(), "no temporary file stays behind");
    }
  }

  /**
   * A client keeps catalogs uncompressed in its cache, and cvmfs_fsck checks each one by
   * compressing it again at zlib's default level: that digest must give the object's name.
   */
  @Test
  void catalogsAreNamedByTheirCompressionAtZlibsDefaultLevel() throws Exception {
    LocalObjectStore store = new LocalObjectStore(root).initialize();
    Path plain = root.resolve("catalog.db");
    byte[] data = new byte[300_000];
    Random random = new Random(3);
    for (int i = 0; i < data.length; i++) {
      // Partly random, partly repeated, as digests and names on catalog pages are.
      data[i] = (byte) (i % 64 < 20 ? random.nextInt(256) : 'a' + i % 7);
    }
    Files.write(plain, data);

    StoredObject stored = store.putCompressedFile(plain, ObjectKind.CATALOG, HashAlgorithm.SHA1);

    byte[] object = Files.readAllBytes(store.pathOf(stored.hash(), ObjectKind.CATALOG));
    try (InflaterInputStream in = new InflaterInputStream(new ByteArrayInputStream(object))) {
      assertArrayEquals(data, in.readAllBytes());
    }
    Deflater deflater = new Deflater(Deflater.DEFAULT_COMPRESSION);
    byte[] again = new byte[data.length + 1024];
    deflater.setInput(data);
    deflater.finish();
    int length = deflater.deflate(again);
    deflater.end();
    assertEquals(stored.hash(), HashAlgorithm.SHA1.hash(again, 0, length));
  }

  @Test
  void theDirectWriterEitherWritesTheExactBytesOrLeavesNoFile() throws Exception {
    Path file = root.resolve("object");
    byte[] data = new byte[2 * (1 << 20) + 123];
    new Random(1).nextBytes(data);

    // Slices that straddle the writer's 1 MiB buffer and its blocks.
    int a = 1000;
    int b = a + (1 << 20) + 7;
    List<ByteSlice> slices = List.of(new ByteSlice(data, 0, a), new ByteSlice(data, a, b - a),
        new ByteSlice(data, b, data.length - b));

    boolean written = new DirectFileWriter(root).write(file, slices);

    if (written) {
      assertArrayEquals(data, Files.readAllBytes(file));
    } else {
      assertFalse(Files.exists(file), "a refused direct write leaves nothing for the buffered one to trip on");
    }
  }
}
