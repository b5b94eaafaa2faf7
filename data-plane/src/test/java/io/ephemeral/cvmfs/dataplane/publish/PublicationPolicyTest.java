package io.ephemeral.cvmfs.dataplane.publish;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ephemeral.cvmfs.dataplane.publish.source.ArchiveSource;
import io.ephemeral.cvmfs.dataplane.publish.source.LimitExceededException;
import io.ephemeral.cvmfs.dataplane.testsupport.Tars;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The request body limit derived from the publication limits. */
class PublicationPolicyTest {

  private static PublicationPolicy policy(long maxFileSize, long maxTotalBytes, long maxEntries) {
    return new PublicationPolicy(Duration.ofHours(2), Duration.ofDays(7), maxFileSize, maxTotalBytes, maxEntries, 100,
        Duration.ofHours(1));
  }

  @Test
  void theUploadLimitIsContentWithFramingPlusRoomPerEntryPlusTheTrailer() {
    PublicationPolicy small = policy(1 << 20, 4 << 20, 100);
    assertEquals((4 << 20) + (4 << 20) / 64 + 100 * 10_240 + (32 << 20), small.maxUploadBytes());
    PublicationPolicy defaults = PublicationPolicy.DEFAULT;
    assertEquals((256L << 30) + (4L << 30) + 1_000_000L * 10_240 + (32 << 20), defaults.maxUploadBytes());
    assertEquals(Long.MAX_VALUE, policy(Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE).maxUploadBytes());
  }

  @Test
  void anArchiveOfTheLargestAllowedPublicationFitsTheUploadLimit() throws IOException {
    // 100 entries of names near PATH_MAX, incompressible content up to the limit: within the bound.
    PublicationPolicy small = policy(64 << 10, 100 * 40_000L, 100);
    Tars archive = Tars.tar();
    java.util.Random random = new java.util.Random(5);
    for (int i = 0; i < 99; i++) {
      byte[] content = new byte[40_000];
      random.nextBytes(content);
      archive.file(("n".repeat(200) + "/").repeat(19) + i, content, 0644);
    }
    byte[] gz = Tars.gzip(archive.bytes());
    assertTrue(gz.length < small.maxUploadBytes(), gz.length + " >= " + small.maxUploadBytes());
    assertEquals(99, Tars.walk(ArchiveSource.open(new ByteArrayInputStream(gz), null,
        new ArchiveSource.Limits(small.maxEntries(), small.maxFileSize(), small.maxTotalBytes()))).size());
  }

  @Test
  void theBodyCountsAgainstTheLimitWhateverItHolds() {
    LimitExceededException e = org.junit.jupiter.api.Assertions.assertThrows(LimitExceededException.class, () -> {
      try (CountingInputStream in = new CountingInputStream(new ByteArrayInputStream(new byte[1000]), 999, "the request body")) {
        in.readAllBytes();
      }
    });
    assertEquals("the request body is larger than the limit of 999 bytes", e.getMessage());
  }
}
