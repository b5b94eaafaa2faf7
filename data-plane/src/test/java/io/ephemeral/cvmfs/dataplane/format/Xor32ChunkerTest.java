package io.ephemeral.cvmfs.dataplane.format;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The chunking test vectors of the specification (from cvmfs' own unit tests). */
class Xor32ChunkerTest {

  private static final ChunkingParameters VECTOR_PARAMETERS = new ChunkingParameters(512000, 1024000, 2048000);

  private static byte[] lcgVector() {
    int size = 104_857_600;
    byte[] data = new byte[size];
    long state = 42;
    for (int i = 0; i < size; i++) {
      state = 6364136223846793005L * state + 1442695040888963407L;
      double unsigned = (double) (state >>> 1) * 2.0 + (state & 1);
      data[i] = (byte) ((long) Math.floor(unsigned * 256 / 18446744073709551616.0) % 256);
    }
    return data;
  }

  /** Offsets at which chunks start, feeding {@code data} in blocks of {@code block} bytes. */
  private static List<Long> cuts(Xor32Chunker chunker, byte[] data, int block) {
    Xor32Chunker.Cursor cursor = chunker.newCursor();
    List<Long> cuts = new ArrayList<>();
    for (int from = 0; from < data.length; from += block) {
      int to = Math.min(data.length, from + block);
      for (int at = from; (at = cursor.next(data, at, to)) >= 0; ) {
        cuts.add((long) at);
      }
    }
    return cuts;
  }

  @ParameterizedTest(name = "fed in blocks of {0} bytes")
  @ValueSource(ints = {104_857_600, 262_144, 65_537, 31})
  void cutPointsOfTheLcgVector(int block) {
    List<Long> cuts = cuts(new Xor32Chunker(VECTOR_PARAMETERS), lcgVector(), block);
    assertEquals(104, cuts.size());
    assertEquals(List.of(742752L, 2790752L, 3521796L, 4188893L, 4940543L, 5884591L, 7131564L, 8520617L), cuts.subList(0, 8));
    assertEquals(List.of(99707336L, 101755336L, 103405168L, 104269441L), cuts.subList(100, 104));
  }

  @Test
  void smallRestIsOneChunk() {
    Xor32Chunker chunker = new Xor32Chunker(new ChunkingParameters(64, 128, 256));
    assertEquals(List.of(), cuts(chunker, new byte[64], 64));
  }

  @Test
  void maximumIsCutOnlyWhenAByteFollows() {
    // Zeros never match the checksum test, so only the maximum cuts.
    Xor32Chunker chunker = new Xor32Chunker(new ChunkingParameters(64, 128, 256));
    assertEquals(List.of(), cuts(chunker, new byte[256], 100));
    assertEquals(List.of(256L), cuts(chunker, new byte[257], 100));
    assertEquals(List.of(256L, 512L), cuts(chunker, new byte[600], 1));
  }
}
