package io.ephemeral.cvmfs.dataplane.format;

import java.util.List;
import java.util.zip.Deflater;

/**
 * Decides whether a file's content is worth compressing, from its first bytes: content that
 * does not compress (archives, image layers, media, random data) is stored as it is, with the
 * entry's compression flag set to none (format.md 2.3), which costs the server no deflate and
 * the client no inflate.
 *
 * <p>The probe is a fast deflate (level 1) of the first {@link #PROBE_BYTES}; it looks at the
 * content only, never at a name. One probe per thread: it keeps its {@link Deflater}.
 */
public final class CompressibilityProbe {

  /**
   * How much of a file is probed: enough for deflate to see past its first blocks (it emits a
   * block every 16 K symbols) and for its 32 KiB window to find repeats, little enough to cost
   * well under a millisecond.
   */
  public static final int PROBE_BYTES = 64 * 1024;

  /**
   * Files below this stay zlib, as every file did before: deflate's framing (header, checksum,
   * block headers) is a large share of a few hundred bytes, so a ratio says little about the
   * content, and there is neither time nor space worth saving on them.
   */
  public static final int TINY_BYTES = 512;

  /**
   * Compressed output at or above this share of the input means incompressible. Level 1 gives
   * away a few percent against level 6, so a probe at 0.97 means level 6 would save about 5% at
   * best: too little for the client to inflate every read of the file. Random data, gzip and
   * zstd members come out at 1.0 or just above.
   */
  public static final double INCOMPRESSIBLE_RATIO = 0.97;

  private final Deflater deflater = new Deflater(Deflater.BEST_SPEED);
  private final byte[] out = new byte[PROBE_BYTES + 1024];

  /**
   * How a file starting with {@code content} is stored: {@link Compression#NONE} when its first
   * {@link #PROBE_BYTES} (all of it when shorter) do not compress, else {@link Compression#ZLIB}.
   *
   * @param fileSize the whole file's size, or -1 when not known; a file known to be tiny is zlib
   */
  public Compression choose(List<ByteSlice> content, long fileSize) {
    long available = ByteSlice.totalLength(content);
    if ((fileSize >= 0 ? fileSize : available) < TINY_BYTES || available < TINY_BYTES) {
      return Compression.ZLIB;
    }
    deflater.reset();
    int remaining = PROBE_BYTES;
    int written = 0;
    int probed = 0;
    for (ByteSlice slice : content) {
      int length = Math.min(remaining, slice.length());
      deflater.setInput(slice.array(), slice.offset(), length);
      while (!deflater.needsInput()) {
        written += deflater.deflate(out);
      }
      probed += length;
      remaining -= length;
      if (remaining == 0) {
        break;
      }
    }
    deflater.finish();
    while (!deflater.finished()) {
      written += deflater.deflate(out);
    }
    return incompressible(probed, written) ? Compression.NONE : Compression.ZLIB;
  }

  /** Whether {@code compressed} bytes of output for {@code plain} bytes of input is too little gain. */
  public static boolean incompressible(long plain, long compressed) {
    return compressed >= INCOMPRESSIBLE_RATIO * plain;
  }

  /** Releases the native zlib state. */
  public void close() {
    deflater.end();
  }
}
