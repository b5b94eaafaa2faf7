package io.ephemeral.cvmfs.dataplane.format;

import java.util.Arrays;
import java.util.zip.Deflater;

/**
 * Turns plain bytes into the bytes stored for an object (a zlib stream, or the bytes as they
 * are) and names them by the digest of those stored bytes (spec 2.2). One encoder per thread:
 * it keeps its {@link Deflater} and output buffer between calls.
 */
public final class ObjectEncoder {

  private static final int RETAINED = 64 * 1024;

  private final Deflater deflater;
  private byte[] out = new byte[RETAINED];

  public ObjectEncoder(int zlibLevel) {
    this.deflater = new Deflater(zlibLevel);
  }

  /** The encoded form of {@code data[offset, offset + length)}. */
  public Encoded encode(byte[] data, int offset, int length, Compression compression, HashAlgorithm algorithm) {
    if (compression == Compression.NONE) {
      return new Encoded(algorithm.hash(data, offset, length), data, offset, length);
    }
    deflater.reset();
    deflater.setInput(data, offset, length);
    deflater.finish();
    // zlib's own bound for incompressible input: one allocation of the right size, not doublings.
    int bound = length + (length >> 12) + (length >> 14) + (length >> 25) + 64;
    if (out.length < bound) {
      out = new byte[bound];
    }
    int size = 0;
    while (!deflater.finished()) {
      if (size == out.length) {
        out = Arrays.copyOf(out, out.length + RETAINED);
      }
      size += deflater.deflate(out, size, out.length - size);
    }
    return new Encoded(algorithm.hash(out, 0, size), out, 0, size);
  }

  /** Lets go of a large output buffer once its bytes are stored, so idle encoders stay small. */
  public void shrink() {
    if (out.length > RETAINED) {
      out = new byte[RETAINED];
    }
  }

  /** Releases the native zlib state. */
  public void close() {
    deflater.end();
  }

  /**
   * Encoded bytes and their name. The byte range aliases the encoder's buffer (or the input for
   * uncompressed objects): use it before the next call to {@link #encode}.
   */
  public record Encoded(ContentHash hash, byte[] bytes, int offset, int length) {}
}
