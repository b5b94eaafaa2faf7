package io.ephemeral.cvmfs.dataplane.format;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.ephemeral.cvmfs.common.format.HashAlgorithm;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class ObjectEncoderTest {

  /** Content handed over in slices of the blocks it was read in names the same object. */
  @ParameterizedTest
  @EnumSource(Compression.class)
  void slicedContentEncodesAsTheWhole(Compression compression) {
    // Half random, half repetitive, so that zlib both stores and matches.
    byte[] data = new byte[3 * 262_144 + 999];
    new Random(7).nextBytes(data);
    for (int i = data.length / 2; i < data.length; i++) {
      data[i] = (byte) "build output ".charAt(i % 13);
    }
    List<ByteSlice> slices = new ArrayList<>();
    for (int from = 0, size = 1; from < data.length; from += size, size = size * 7 + 3) {
      slices.add(new ByteSlice(data, from, Math.min(size, data.length - from)));
    }

    ObjectEncoder.Encoded whole = new ObjectEncoder(6).encode(data, 0, data.length, compression, HashAlgorithm.SHA1);
    byte[] wholeBytes = concat(whole.bytes());
    ObjectEncoder.Encoded sliced = new ObjectEncoder(6).encode(slices, compression, HashAlgorithm.SHA1);

    assertEquals(whole.hash(), sliced.hash());
    assertEquals(HashAlgorithm.SHA1.hash(wholeBytes), sliced.hash());
    assertEquals(whole.length(), sliced.length());
  }

  private static byte[] concat(List<ByteSlice> slices) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    slices.forEach(slice -> out.write(slice.array(), slice.offset(), slice.length()));
    return out.toByteArray();
  }
}
