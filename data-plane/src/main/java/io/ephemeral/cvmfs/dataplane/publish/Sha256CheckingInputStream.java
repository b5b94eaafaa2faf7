package io.ephemeral.cvmfs.dataplane.publish;

import io.ephemeral.cvmfs.dataplane.publish.source.InvalidSourceException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Passes bytes on while hashing them, and fails the read that reaches the end if their SHA-256 is
 * not the one expected: whatever read them fails before anything is committed.
 */
final class Sha256CheckingInputStream extends FilterInputStream {

  private final MessageDigest digest;
  private final String expected;
  private boolean checked;

  Sha256CheckingInputStream(InputStream in, String expectedHex) {
    super(in);
    this.expected = expectedHex;
    try {
      this.digest = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
  }

  @Override
  public int read(byte[] buffer, int offset, int length) throws IOException {
    int n = super.read(buffer, offset, length);
    if (n > 0) {
      digest.update(buffer, offset, n);
    } else if (n < 0 && !checked) {
      checked = true;
      String actual = HexFormat.of().formatHex(digest.digest());
      if (!actual.equalsIgnoreCase(expected)) {
        throw new InvalidSourceException("sha256 mismatch: expected " + expected + ", got " + actual);
      }
    }
    return n;
  }

  @Override
  public long skip(long n) throws IOException {
    // Skipped bytes must be hashed too.
    int length = (int) Math.min(Math.max(n, 0), 1 << 16);
    return Math.max(read(new byte[length], 0, length), 0);
  }
}
