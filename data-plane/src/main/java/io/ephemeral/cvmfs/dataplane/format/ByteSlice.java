package io.ephemeral.cvmfs.dataplane.format;

import java.util.List;
import java.util.Objects;

/**
 * A range of a byte array. Large content travels as a list of slices of the blocks it was read
 * in, so that cutting it into chunks moves no bytes.
 */
public record ByteSlice(byte[] array, int offset, int length) {

  public ByteSlice {
    Objects.checkFromIndexSize(offset, length, array.length);
  }

  public static long totalLength(List<ByteSlice> slices) {
    long total = 0;
    for (ByteSlice slice : slices) {
      total += slice.length;
    }
    return total;
  }
}
