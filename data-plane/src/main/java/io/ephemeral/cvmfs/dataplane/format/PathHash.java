package io.ephemeral.cvmfs.dataplane.format;

import io.ephemeral.cvmfs.common.format.HashAlgorithm;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * The MD5 of a repository path split into two signed little-endian 64-bit integers, the key of
 * every catalog row (format.md 7.5). The repository root is the empty string.
 */
public record PathHash(long high, long low) {

  /** The parent key of the root entry of the root catalog. */
  public static final PathHash NONE = new PathHash(0, 0);

  private static final ThreadLocal<MessageDigest> MD5 = ThreadLocal.withInitial(() -> HashAlgorithm.jdkDigest("MD5"));

  public static PathHash of(String path) {
    MessageDigest md5 = MD5.get();
    ByteBuffer digest = ByteBuffer.wrap(md5.digest(path.getBytes(StandardCharsets.UTF_8))).order(ByteOrder.LITTLE_ENDIAN);
    return new PathHash(digest.getLong(0), digest.getLong(8));
  }
}
