package io.ephemeral.cvmfs.common.format;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Locale;
import org.bouncycastle.crypto.Digest;
import org.bouncycastle.crypto.digests.RIPEMD160Digest;
import org.bouncycastle.crypto.digests.SHAKEDigest;

/** The content hash algorithms of CVMFS (format.md 1.1). Every one yields a 20-byte digest. */
public enum HashAlgorithm {
  SHA1("sha1", ""),
  RMD160("rmd160", "-rmd160"),
  SHAKE128("shake128", "-shake128");

  /** Digest length of every content algorithm. */
  public static final int DIGEST_LENGTH = 20;

  private final String configName;
  private final String identifier;

  HashAlgorithm(String configName, String identifier) {
    this.configName = configName;
    this.identifier = identifier;
  }

  /** The name used in configuration ({@code sha1}, {@code rmd160}, {@code shake128}). */
  public String configName() {
    return configName;
  }

  /** Appended to the hex digest in a hash string: empty for SHA-1. */
  public String identifier() {
    return identifier;
  }

  /** Length of a hash string of this algorithm (40, 47 or 49). */
  public int hashStringLength() {
    return 2 * DIGEST_LENGTH + identifier.length();
  }

  /** The catalog flags bits 8-10 of entries hashed with this algorithm. */
  public int catalogFlags() {
    return ordinal() << 8;
  }

  public static HashAlgorithm fromCatalogFlags(int flags) {
    int value = (flags >> 8) & 0x7;
    if (value >= values().length) {
      throw new IllegalArgumentException("unknown hash algorithm in catalog flags: " + flags);
    }
    return values()[value];
  }

  public static HashAlgorithm fromConfigName(String name) {
    for (HashAlgorithm algorithm : values()) {
      if (algorithm.configName.equals(name.toLowerCase(Locale.ROOT))) {
        return algorithm;
      }
    }
    throw new IllegalArgumentException("unknown hash algorithm '" + name + "' (expected sha1, rmd160 or shake128)");
  }

  /** A new incremental hasher. */
  public Hasher newHasher() {
    return switch (this) {
      case SHA1 -> new JdkHasher(jdkDigest("SHA-1"));
      case RMD160 -> new BouncyCastleHasher(new RIPEMD160Digest());
      case SHAKE128 -> new BouncyCastleHasher(new SHAKEDigest(128));
    };
  }

  /** Digest of {@code data} in one call. */
  public ContentHash hash(byte[] data, int offset, int length) {
    Hasher hasher = newHasher();
    hasher.update(data, offset, length);
    return new ContentHash(this, hasher.digest());
  }

  public ContentHash hash(byte[] data) {
    return hash(data, 0, data.length);
  }

  /** The JDK's digest of that name (SHA-1, MD5, ...), which every JDK has. */
  public static MessageDigest jdkDigest(String name) {
    try {
      return MessageDigest.getInstance(name);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK lacks " + name, e);
    }
  }

  /** Incremental digest computation. */
  public interface Hasher {
    void update(byte[] data, int offset, int length);

    /** Finishes and returns the 20-byte digest; the hasher must not be used afterwards. */
    byte[] digest();
  }

  // SHA-1 goes through the JDK because its implementation has CPU intrinsics.
  private record JdkHasher(MessageDigest md) implements Hasher {
    /**
     * Large inputs are fed in slices: many calls get the compression loop compiled, with its
     * intrinsic, early in a short-lived process, where a few huge calls would run interpreted.
     */
    private static final int SLICE = 64 * 1024;

    @Override
    public void update(byte[] data, int offset, int length) {
      for (int at = offset, end = offset + length; at < end; at += SLICE) {
        md.update(data, at, Math.min(SLICE, end - at));
      }
    }

    @Override
    public byte[] digest() {
      return md.digest();
    }
  }

  private record BouncyCastleHasher(Digest bc) implements Hasher {
    @Override
    public void update(byte[] data, int offset, int length) {
      bc.update(data, offset, length);
    }

    @Override
    public byte[] digest() {
      byte[] out = new byte[DIGEST_LENGTH];
      if (bc instanceof SHAKEDigest shake) {
        // SHAKE-128 is an XOF: CVMFS keeps the first 160 bits.
        shake.doFinal(out, 0, DIGEST_LENGTH);
      } else {
        bc.doFinal(out, 0);
      }
      return out;
    }
  }
}
