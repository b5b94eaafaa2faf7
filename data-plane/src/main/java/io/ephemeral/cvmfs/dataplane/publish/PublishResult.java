package io.ephemeral.cvmfs.dataplane.publish;

import java.time.Duration;
import java.time.Instant;

/**
 * What one publication did: where it went, which revision carries it, and what it cost.
 *
 * @param skippedSpecialFiles devices and FIFOs of a container image that the publication left out
 */
public record PublishResult(
    String path,
    long revision,
    long files,
    long bytes,
    long objectsWritten,
    long objectsReused,
    Instant expiresAt,
    Duration ingest,
    Duration commit,
    long skippedSpecialFiles) {

  public PublishResult withSkippedSpecialFiles(long count) {
    return new PublishResult(path, revision, files, bytes, objectsWritten, objectsReused, expiresAt, ingest, commit,
        count);
  }
}
