package io.ephemeral.cvmfs.dataplane.publish;

import io.ephemeral.cvmfs.common.format.HashAlgorithm;
import io.ephemeral.cvmfs.dataplane.publish.source.InvalidSourceException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.util.HexFormat;

/**
 * Passes bytes on while hashing them, and fails the read that reaches the end if their SHA-256 is
 * not the one expected: whatever read them fails before anything is committed.
 */
final class Sha256CheckingInputStream extends ObservedInputStream {

  private final MessageDigest digest;
  private final String expected;
  private boolean checked;

  Sha256CheckingInputStream(InputStream in, String expectedHex) {
    super(in);
    this.expected = expectedHex;
    this.digest = HashAlgorithm.jdkDigest("SHA-256");
  }

  @Override
  protected void onRead(byte[] buffer, int offset, int n) {
    digest.update(buffer, offset, n);
  }

  @Override
  protected void onEnd() throws InvalidSourceException {
    if (checked) {
      return;
    }
    checked = true;
    String actual = HexFormat.of().formatHex(digest.digest());
    if (!actual.equalsIgnoreCase(expected)) {
      throw new InvalidSourceException("sha256 mismatch: expected " + expected + ", got " + actual);
    }
  }
}
