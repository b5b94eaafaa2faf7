package io.ephemeral.cvmfs.dataplane.publish;

import io.ephemeral.cvmfs.common.format.HashAlgorithm;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Content staged for a later publication: streamed to a file in the repository's state
 * directory, named by a random id, and removed when claimed or when unclaimed for too long.
 */
public final class StagedUploads {

  private static final Pattern ID = Pattern.compile("[0-9a-f]{32}");
  /** Beside each upload, its SHA-256 in hex. */
  private static final String DIGEST_SUFFIX = ".sha256";
  private static final Pattern SHA256_HEX = Pattern.compile("[0-9a-f]{64}");

  private final Path directory;

  public StagedUploads(Path directory) throws IOException {
    this.directory = Files.createDirectories(directory);
  }

  /** What was staged: its id, size and SHA-256. */
  public record Upload(String id, long bytes, String sha256) {}

  /** Streams {@code content} into a new upload, checking {@code expectedSha256} if given. */
  public Upload store(InputStream content, long maxBytes, String expectedSha256) throws IOException {
    String id = UUID.randomUUID().toString().replace("-", "");
    Path temp = directory.resolve(id + ".part");
    MessageDigest sha256 = HashAlgorithm.jdkDigest("SHA-256");
    long bytes;
    try (OutputStream out = new DigestOutputStream(Files.newOutputStream(temp, StandardOpenOption.CREATE_NEW), sha256)) {
      CountingInputStream counted = new CountingInputStream(content, maxBytes, "the upload");
      counted.transferTo(out);
      bytes = counted.count();
    } catch (IOException e) {
      Files.deleteIfExists(temp);
      throw e;
    }
    String digest = HexFormat.of().formatHex(sha256.digest());
    if (expectedSha256 != null && !expectedSha256.equalsIgnoreCase(digest)) {
      Files.deleteIfExists(temp);
      throw new IllegalArgumentException("sha256 mismatch: expected " + expectedSha256 + ", got " + digest);
    }
    Files.move(temp, directory.resolve(id));
    // After the upload, and removed before it: a crash in between leaves an upload without a
    // digest (it is published all the same, only not found by its digest), never a digest alone.
    Files.writeString(directory.resolve(id + DIGEST_SUFFIX), digest, StandardCharsets.US_ASCII);
    return new Upload(id, bytes, digest);
  }

  /** The file of a staged upload, if the id names one. */
  public Optional<Path> find(String id) {
    if (id == null || !ID.matcher(id).matches()) {
      return Optional.empty();
    }
    Path file = directory.resolve(id);
    return Files.isRegularFile(file) ? Optional.of(file) : Optional.empty();
  }

  /** The SHA-256 of a staged upload, as {@link #store} computed it. */
  public Optional<String> sha256(String id) throws IOException {
    if (find(id).isEmpty()) {
      return Optional.empty();
    }
    Path digest = directory.resolve(id + DIGEST_SUFFIX);
    if (!Files.exists(digest)) {
      return Optional.empty();
    }
    // One cut short by a crash is no digest.
    String hex = Files.readString(digest, StandardCharsets.US_ASCII).strip();
    return SHA256_HEX.matcher(hex).matches() ? Optional.of(hex) : Optional.empty();
  }

  public void delete(String id) throws IOException {
    Optional<Path> file = find(id);
    if (file.isPresent()) {
      Files.deleteIfExists(directory.resolve(id + DIGEST_SUFFIX));
      Files.deleteIfExists(file.get());
    }
  }

  /** Removes uploads, and interrupted partial ones, older than {@code age}; returns how many. */
  public int expire(Instant now, Duration age) throws IOException {
    int removed = 0;
    List<Path> files;
    try (var listing = Files.list(directory)) {
      files = listing.toList();
    }
    for (Path file : files) {
      String name = file.getFileName().toString();
      FileTime modified;
      try {
        modified = Files.getLastModifiedTime(file);
      } catch (NoSuchFileException gone) {
        // Claimed meanwhile, or a digest this loop already removed with its upload.
        continue;
      }
      if (!modified.toInstant().plus(age).isBefore(now)) {
        continue;
      }
      if (ID.matcher(name).matches()) {
        // The digest before its upload, as delete does.
        Files.deleteIfExists(directory.resolve(name + DIGEST_SUFFIX));
      } else if (name.endsWith(DIGEST_SUFFIX) && Files.exists(directory.resolve(name.substring(0,
          name.length() - DIGEST_SUFFIX.length())))) {
        continue;
      }
      if (Files.deleteIfExists(file)) {
        removed++;
      }
    }
    return removed;
  }
}
