package io.ephemeral.cvmfs.dataplane.format;

import io.ephemeral.cvmfs.common.format.ContentHash;
import io.ephemeral.cvmfs.common.format.HashAlgorithm;
import java.util.Arrays;
import java.util.List;
import java.util.zip.Deflater;

/**
 * Turns plain bytes into the bytes stored for an object (a zlib stream, or the bytes as they
 * are) and names them by the digest of those stored bytes (format.md 2.2). One encoder per thread:
 * it keeps its {@link Deflater} and output buffer between calls.
 */
public final class ObjectEncoder {

  private static final int RETAINED = 64 * 1024;

  private final Deflater deflater;
  private byte[] out = new byte[RETAINED];
  private CompressibilityProbe probe;

  public ObjectEncoder(int zlibLevel) {
    this.deflater = new Deflater(zlibLevel);
  }

  /** The encoded form of {@code data[offset, offset + length)}. */
  public Encoded encode(byte[] data, int offset, int length, Compression compression, HashAlgorithm algorithm) {
    return encode(List.of(new ByteSlice(data, offset, length)), compression, algorithm);
  }

  /** The encoded form of the concatenated {@code content}. */
  public Encoded encode(List<ByteSlice> content, Compression compression, HashAlgorithm algorithm) {
    if (compression == Compression.NONE) {
      HashAlgorithm.Hasher hasher = algorithm.newHasher();
      for (ByteSlice slice : content) {
        hasher.update(slice.array(), slice.offset(), slice.length());
      }
      return new Encoded(new ContentHash(algorithm, hasher.digest()), content, ByteSlice.totalLength(content),
          Compression.NONE);
    }
    long length = ByteSlice.totalLength(content);
    // zlib's own bound for incompressible input: one allocation of the right size, not doublings.
    long bound = length + (length >> 12) + (length >> 14) + (length >> 25) + 64;
    if (out.length < bound) {
      out = new byte[Math.toIntExact(bound)];
    }
    deflater.reset();
    int size = 0;
    for (ByteSlice slice : content) {
      deflater.setInput(slice.array(), slice.offset(), slice.length());
      while (!deflater.needsInput()) {
        size = deflateInto(size);
      }
    }
    deflater.finish();
    while (!deflater.finished()) {
      size = deflateInto(size);
    }
    return new Encoded(algorithm.hash(out, 0, size), List.of(new ByteSlice(out, 0, size)), size, Compression.ZLIB);
  }

  /**
   * The encoded form of a whole file's {@code content}, compressed unless it does not compress
   * (see {@link CompressibilityProbe}). Up to {@link CompressibilityProbe#PROBE_BYTES} the
   * compression itself is the probe, so compressible small files cost no second deflate; larger
   * ones are probed first, so incompressible ones cost no full deflate.
   */
  public Encoded encodeAdaptive(List<ByteSlice> content, HashAlgorithm algorithm) {
    long length = ByteSlice.totalLength(content);
    if (length < CompressibilityProbe.TINY_BYTES) {
      return encode(content, Compression.ZLIB, algorithm);
    }
    if (length <= CompressibilityProbe.PROBE_BYTES) {
      Encoded compressed = encode(content, Compression.ZLIB, algorithm);
      return CompressibilityProbe.incompressible(length, compressed.length())
          ? encode(content, Compression.NONE, algorithm) : compressed;
    }
    if (probe == null) {
      probe = new CompressibilityProbe();
    }
    return encode(content, probe.choose(content, length), algorithm);
  }

  private int deflateInto(int size) {
    if (size == out.length) {
      out = Arrays.copyOf(out, out.length + RETAINED);
    }
    return size + deflater.deflate(out, size, out.length - size);
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
    if (probe != null) {
      probe.close();
    }
  }

  /**
   * Encoded bytes and their name. The slices alias the encoder's buffer (or the input for
   * uncompressed objects): use them before the next call to {@link #encode}. {@code compression}
   * is how they are encoded, which the catalog entry's flags must say.
   */
  public record Encoded(ContentHash hash, List<ByteSlice> bytes, long length, Compression compression) {}
}
