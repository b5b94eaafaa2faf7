package io.ephemeral.cvmfs.dataplane.publish;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A staged upload's digest lives beside it and goes with it: found by its id, removed with it
 * (first, so a crash never leaves a digest alone), expired with it, and ignored when a crash cut
 * it short.
 */
class StagedUploadDigestTest {

  @TempDir
  Path directory;

  @Test
  void theDigestGoesWithItsUpload() throws Exception {
    StagedUploads uploads = new StagedUploads(directory);
    StagedUploads.Upload upload = uploads.store(new ByteArrayInputStream("abc".getBytes()), 1 << 20, null);

    assertEquals(Optional.of("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        uploads.sha256(upload.id()));
    uploads.delete(upload.id());
    assertEquals(List.of(), names());
    assertEquals(Optional.empty(), uploads.sha256(upload.id()));
  }

  @Test
  void aDigestCutShortIsNoDigest() throws Exception {
    StagedUploads uploads = new StagedUploads(directory);
    String id = uploads.store(new ByteArrayInputStream("abc".getBytes()), 1 << 20, null).id();
    Files.writeString(directory.resolve(id + ".sha256"), "ba7816bf", StandardCharsets.US_ASCII);

    assertEquals(Optional.empty(), uploads.sha256(id));
  }

  @Test
  void expiryTakesAnOldUploadWithItsDigestAndADigestLeftAloneButKeepsFreshOnes() throws Exception {
    StagedUploads uploads = new StagedUploads(directory);
    String old = uploads.store(new ByteArrayInputStream("old".getBytes()), 1 << 20, null).id();
    String fresh = uploads.store(new ByteArrayInputStream("fresh".getBytes()), 1 << 20, null).id();
    Path orphan = Files.writeString(directory.resolve("0".repeat(32) + ".sha256"), "x");
    FileTime longAgo = FileTime.from(Instant.now().minus(Duration.ofDays(2)));
    for (Path file : List.of(directory.resolve(old), directory.resolve(old + ".sha256"), orphan)) {
      Files.setLastModifiedTime(file, longAgo);
    }

    uploads.expire(Instant.now(), Duration.ofDays(1));

    assertEquals(List.of(fresh, fresh + ".sha256"), names());
    assertTrue(uploads.sha256(fresh).isPresent());
  }

  private List<String> names() throws Exception {
    try (Stream<Path> files = Files.list(directory)) {
      return files.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }
}
