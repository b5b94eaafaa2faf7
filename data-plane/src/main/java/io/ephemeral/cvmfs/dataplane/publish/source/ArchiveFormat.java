package io.ephemeral.cvmfs.dataplane.publish.source;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/** The archive containers {@link ArchiveSource} reads. */
public enum ArchiveFormat {
  TAR,
  TAR_GZ,
  TAR_ZST;

  /** Size of a tar header block; also how many bytes {@link #sniff} may look at. */
  static final int TAR_BLOCK = 512;

  private static final int CHECKSUM_OFFSET = 148;
  private static final int CHECKSUM_LENGTH = 8;
  private static final int MAGIC_OFFSET = 257;
  private static final byte[] USTAR = "ustar".getBytes(StandardCharsets.US_ASCII);

  /**
   * Recognises the container from the first bytes of {@code in} without consuming them: the
   * stream is marked and reset, so it must {@linkplain InputStream#markSupported() support mark}
   * (wrap it in a {@link java.io.BufferedInputStream}). Compressed streams are recognised by
   * their magic numbers alone; whether they hold a tar is only known once decompressed.
   *
   * @return the format, or empty when the bytes are none of the three
   */
  public static Optional<ArchiveFormat> sniff(InputStream in) throws IOException {
    if (!in.markSupported()) {
      throw new IllegalArgumentException("sniffing needs a stream that supports mark/reset");
    }
    in.mark(TAR_BLOCK);
    byte[] head;
    try {
      head = in.readNBytes(TAR_BLOCK);
    } finally {
      in.reset();
    }
    return Optional.ofNullable(detect(head, head.length));
  }

  static ArchiveFormat detect(byte[] head, int length) {
    if (length >= 2 && (head[0] & 0xff) == 0x1f && (head[1] & 0xff) == 0x8b) {
      return TAR_GZ;
    }
    if (length >= 4 && isZstdMagic(head)) {
      return TAR_ZST;
    }
    return isTarBlock(head, length) ? TAR : null;
  }

  /**
   * True when {@code block} starts a tar stream: a header with the ustar magic or a correct
   * checksum (pre-POSIX archives have no magic), or a zero block, which is how an empty archive
   * begins.
   */
  static boolean isTarBlock(byte[] block, int length) {
    if (length < TAR_BLOCK) {
      return false;
    }
    if (isZeroBlock(block, 0)) {
      return true;
    }
    boolean magic = true;
    for (int i = 0; i < USTAR.length; i++) {
      magic &= block[MAGIC_OFFSET + i] == USTAR[i];
    }
    return magic || checksumMatches(block);
  }

  static boolean isZeroBlock(byte[] buf, int offset) {
    for (int i = offset; i < offset + TAR_BLOCK; i++) {
      if (buf[i] != 0) {
        return false;
      }
    }
    return true;
  }

  private static boolean isZstdMagic(byte[] head) {
    int b0 = head[0] & 0xff;
    int b1 = head[1] & 0xff;
    int b2 = head[2] & 0xff;
    int b3 = head[3] & 0xff;
    boolean frame = b0 == 0x28 && b1 == 0xb5 && b2 == 0x2f && b3 == 0xfd;
    // Skippable frames (0x184D2A5?) may precede the first real frame.
    boolean skippable = (b0 & 0xf0) == 0x50 && b1 == 0x2a && b2 == 0x4d && b3 == 0x18;
    return frame || skippable;
  }

  static boolean checksumMatches(byte[] block) {
    long stored = 0;
    boolean digits = false;
    for (int i = CHECKSUM_OFFSET; i < CHECKSUM_OFFSET + CHECKSUM_LENGTH; i++) {
      byte b = block[i];
      if (b >= '0' && b <= '7') {
        stored = stored * 8 + (b - '0');
        digits = true;
      } else if (b == ' ' || b == 0) {
        if (digits) {
          break;
        }
      } else {
        return false;
      }
    }
    if (!digits) {
      return false;
    }
    // The checksum is computed with its own field as spaces; some old writers summed signed bytes.
    long unsigned = 0;
    long signed = 0;
    for (int i = 0; i < TAR_BLOCK; i++) {
      boolean inField = i >= CHECKSUM_OFFSET && i < CHECKSUM_OFFSET + CHECKSUM_LENGTH;
      byte b = inField ? (byte) ' ' : block[i];
      unsigned += b & 0xff;
      signed += b;
    }
    return stored == unsigned || stored == signed;
  }
}
