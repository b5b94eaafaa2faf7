package io.ephemeral.cvmfs.dataplane.repository;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * The secret that allows writing to one repository. Compared in constant time; never logged.
 */
public final class PublishToken {

  private final byte[] secret;

  private PublishToken(String secret) {
    if (secret.isBlank()) {
      throw new IllegalArgumentException("an empty publish token is not allowed");
    }
    this.secret = secret.strip().getBytes(StandardCharsets.UTF_8);
  }

  public static PublishToken of(String secret) {
    return new PublishToken(secret);
  }

  /** Reads a token file (its content, surrounding white space removed). */
  public static PublishToken read(Path file) throws IOException {
    return new PublishToken(Files.readString(file, StandardCharsets.UTF_8));
  }

  /** Reads {@code file}, first writing a new random token to it if it does not exist. */
  public static PublishToken readOrGenerate(Path file) throws IOException {
    if (!Files.exists(file)) {
      byte[] random = new byte[32];
      new SecureRandom().nextBytes(random);
      Path temp = file.resolveSibling(file.getFileName() + ".tmp");
      // A start killed here leaves the temporary file read-only, which its owner cannot open for writing.
      Files.deleteIfExists(temp);
      Files.writeString(temp, HexFormat.of().formatHex(random) + "\n", StandardCharsets.UTF_8);
      Files.setPosixFilePermissions(temp, PosixFilePermissions.fromString("r--------"));
      Files.move(temp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }
    return read(file);
  }

  public boolean matches(String presented) {
    return presented != null && MessageDigest.isEqual(secret, presented.strip().getBytes(StandardCharsets.UTF_8));
  }

  @Override
  public String toString() {
    return "PublishToken[redacted]";
  }
}
