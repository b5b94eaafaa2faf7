package io.ephemeral.cvmfs.dataplane.format;

import java.util.Arrays;
import java.util.zip.Deflater;

/**
 * Turns plain bytes into the bytes stored for an object (a zlib stream, or the bytes as they
 * are) and names them by the digest of those stored bytes (spec 2.2). One encoder per thread:
 * it keeps its {@link Deflater} and output buffer between calls.
 */
public final class ObjectEncoder {

  private final Deflater deflater;
  private byte[] out = new byte[64 * 1024];

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
    int size = 0;
    while (!deflater.finished()) {
      if (size == out.length) {
        out = Arrays.copyOf(out, out.length * 2);
      }
      size += deflater.deflate(out, size, out.length - size);
    }
    return new Encoded(algorithm.hash(out, 0, size), out, 0, size);
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
