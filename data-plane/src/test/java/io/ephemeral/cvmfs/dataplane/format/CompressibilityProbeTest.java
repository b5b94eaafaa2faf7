package io.ephemeral.cvmfs.dataplane.format;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.ephemeral.cvmfs.common.format.HashAlgorithm;
import io.ephemeral.cvmfs.dataplane.testsupport.Tars;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.function.ThrowingSupplier;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** What the probe makes of typical content, and how the adaptive encoding follows it. */
class CompressibilityProbeTest {

  static Stream<Arguments> contents() {
    return Stream.of(
        Arguments.of("random 1 MiB", (ThrowingSupplier<byte[]>) () -> random(1 << 20), Compression.NONE),
        Arguments.of("random 64 KiB", (ThrowingSupplier<byte[]>) () -> random(64 << 10), Compression.NONE),
        Arguments.of("random 4 KiB", (ThrowingSupplier<byte[]>) () -> random(4 << 10), Compression.NONE),
        Arguments.of("random 512 bytes", (ThrowingSupplier<byte[]>) () -> random(512), Compression.NONE),
        Arguments.of("random 511 bytes (tiny)", (ThrowingSupplier<byte[]>) () -> random(511), Compression.ZLIB),
        Arguments.of("random 100 bytes (tiny)", (ThrowingSupplier<byte[]>) () -> random(100), Compression.ZLIB),
        Arguments.of("empty", (ThrowingSupplier<byte[]>) () -> new byte[0], Compression.ZLIB),
        Arguments.of("zeros 1 MiB", (ThrowingSupplier<byte[]>) () -> new byte[1 << 20], Compression.ZLIB),
        Arguments.of("zeros 2 KiB", (ThrowingSupplier<byte[]>) () -> new byte[2048], Compression.ZLIB),
        Arguments.of("text 1 MiB", (ThrowingSupplier<byte[]>) () -> text(1 << 20), Compression.ZLIB),
        Arguments.of("text 3 KiB", (ThrowingSupplier<byte[]>) () -> text(3 << 10), Compression.ZLIB),
        Arguments.of("gzip of text", (ThrowingSupplier<byte[]>) () -> Tars.gzip(text(4 << 20)), Compression.NONE),
        Arguments.of("gzip of random", (ThrowingSupplier<byte[]>) () -> Tars.gzip(random(300 << 10)), Compression.NONE),
        // Only the first 64 KiB count: random then text is incompressible, text then random is not.
        Arguments.of("random head, text tail", (ThrowingSupplier<byte[]>) () -> concat(random(64 << 10), text(1 << 20)),
            Compression.NONE),
        Arguments.of("text head, random tail", (ThrowingSupplier<byte[]>) () -> concat(text(64 << 10), random(1 << 20)),
            Compression.ZLIB));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("contents")
  void probeDecidesFromTheFirstBytes(String what, ThrowingSupplier<byte[]> content, Compression expected)
      throws Throwable {
    byte[] data = content.get();
    CompressibilityProbe probe = new CompressibilityProbe();
    try {
      assertEquals(expected, probe.choose(List.of(new ByteSlice(data, 0, data.length)), data.length), what);
      // The same, handed over in slices of odd sizes, and with the file's size unknown.
      assertEquals(expected, probe.choose(slices(data, 7777), -1), what + " in slices");
    } finally {
      probe.close();
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("contents")
  void adaptiveEncodingStoresIncompressibleContentAsItIs(String what, ThrowingSupplier<byte[]> content,
      Compression expected) throws Throwable {
    byte[] data = content.get();
    ObjectEncoder encoder = new ObjectEncoder(6);
    try {
      ObjectEncoder.Encoded encoded = encoder.encodeAdaptive(slices(data, 100_000), HashAlgorithm.SHA1);
      assertEquals(expected, encoded.compression(), what);
      // Either way the same object as a repository of that compression would store.
      ObjectEncoder.Encoded fixed = new ObjectEncoder(6).encode(data, 0, data.length, expected, HashAlgorithm.SHA1);
      assertEquals(fixed.hash(), encoded.hash(), what);
      assertEquals(fixed.length(), encoded.length(), what);
      if (expected == Compression.NONE) {
        assertEquals(HashAlgorithm.SHA1.hash(data), encoded.hash(), what);
        assertArrayEquals(data, join(encoded.bytes()), what);
      }
    } finally {
      encoder.close();
    }
  }

  private static byte[] random(int size) {
    byte[] data = new byte[size];
    new Random(size).nextBytes(data);
    return data;
  }

  /** Lines of words as source code or logs have them: compresses to about a third. */
  private static byte[] text(int size) {
    String[] words = {"static", "final", "return", "value", "public", "class", "import", "java", "util", "if", "else",
        "for", "while", "the", "object", "catalog", "chunk", "repository", "compression", "error", "INFO", "=", "{", "}"};
    Random random = new Random(size);
    StringBuilder text = new StringBuilder(size + 64);
    while (text.length() < size) {
      text.append(words[random.nextInt(words.length)]).append(random.nextInt(12) == 0 ? "\n" : " ");
    }
    return Arrays.copyOf(text.toString().getBytes(StandardCharsets.US_ASCII), size);
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] both = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, both, a.length, b.length);
    return both;
  }

  private static List<ByteSlice> slices(byte[] data, int size) {
    List<ByteSlice> slices = new ArrayList<>();
    for (int at = 0; at < data.length; at += size) {
      slices.add(new ByteSlice(data, at, Math.min(size, data.length - at)));
    }
    return slices;
  }

  private static byte[] join(List<ByteSlice> slices) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (ByteSlice slice : slices) {
      out.write(slice.array(), slice.offset(), slice.length());
    }
    return out.toByteArray();
  }
}
