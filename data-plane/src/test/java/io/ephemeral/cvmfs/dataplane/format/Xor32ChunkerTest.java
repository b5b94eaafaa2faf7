package io.ephemeral.cvmfs.dataplane.format;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The chunking test vectors of the specification (from cvmfs' own unit tests). */
class Xor32ChunkerTest {

  @Test
  void cutPointsOfTheLcgVector() {
    int size = 104_857_600;
    byte[] data = new byte[size];
    long state = 42;
    for (int i = 0; i < size; i++) {
      state = 6364136223846793005L * state + 1442695040888963407L;
      double unsigned = (double) (state >>> 1) * 2.0 + (state & 1);
      data[i] = (byte) ((long) Math.floor(unsigned * 256 / 18446744073709551616.0) % 256);
    }
    Xor32Chunker chunker = new Xor32Chunker(new ChunkingParameters(512000, 1024000, 2048000));
    List<Long> cuts = new ArrayList<>();
    long last = 0;
    while (last < size) {
      int available = (int) Math.min(2048000, size - last);
      int cut = chunker.nextCut(data, (int) last, available, last + available == size);
      last += cut;
      if (last < size) {
        cuts.add(last);
      }
    }
    assertEquals(104, cuts.size());
    assertEquals(List.of(742752L, 2790752L, 3521796L, 4188893L, 4940543L, 5884591L, 7131564L, 8520617L), cuts.subList(0, 8));
    assertEquals(List.of(99707336L, 101755336L, 103405168L, 104269441L), cuts.subList(100, 104));
  }

  @Test
  void smallRestIsOneChunk() {
    Xor32Chunker chunker = new Xor32Chunker(new ChunkingParameters(64, 128, 256));
    assertEquals(64, chunker.nextCut(new byte[64], 0, 64, true));
  }
}
