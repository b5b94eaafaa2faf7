package io.ephemeral.cvmfs.common.format;

import java.util.Arrays;
import java.util.HexFormat;

/**
 * A content digest and its algorithm; its {@link #toString() hash string} names CVMFS objects
 * (format.md 1.2): lowercase hex followed by the algorithm identifier.
 */
public record ContentHash(HashAlgorithm algorithm, byte[] digest) {

  private static final HexFormat HEX = HexFormat.of();

  public ContentHash {
    if (digest.length != HashAlgorithm.DIGEST_LENGTH) {
      throw new IllegalArgumentException("a content digest has 20 bytes, not " + digest.length);
    }
    digest = digest.clone();
  }

  /** Parses a hash string, rejecting anything but the exact lowercase forms CVMFS writes. */
  public static ContentHash parse(String hashString) {
    for (HashAlgorithm algorithm : HashAlgorithm.values()) {
      if (hashString.length() == algorithm.hashStringLength() && hashString.endsWith(algorithm.identifier())) {
        String hex = hashString.substring(0, 2 * HashAlgorithm.DIGEST_LENGTH);
        if (!hex.chars().allMatch(c -> (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
          break;
        }
        return new ContentHash(algorithm, HEX.parseHex(hex));
      }
    }
    throw new IllegalArgumentException("not a hash string: '" + hashString + "'");
  }

  @Override
  public byte[] digest() {
    return digest.clone();
  }

  /** Lowercase hex of the digest, without algorithm identifier. */
  public String hex() {
    return HEX.formatHex(digest);
  }

  /** The object's path relative to the repository root, e.g. {@code data/e8/ec3d...78C}. */
  public String objectPath(ObjectKind kind) {
    String name = toString();
    return "data/" + name.substring(0, 2) + "/" + name.substring(2) + kind.suffix();
  }

  /** The hash string: hex plus algorithm identifier. */
  @Override
  public String toString() {
    return hex() + algorithm.identifier();
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof ContentHash that && algorithm == that.algorithm && Arrays.equals(digest, that.digest);
  }

  @Override
  public int hashCode() {
    return 31 * algorithm.hashCode() + Arrays.hashCode(digest);
  }
}
