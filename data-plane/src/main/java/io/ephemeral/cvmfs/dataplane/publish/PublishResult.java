package io.ephemeral.cvmfs.dataplane.publish;

import java.time.Duration;
import java.time.Instant;

/** What one publication did: where it went, which revision carries it, and what it cost. */
public record PublishResult(
    String path,
    long revision,
    long files,
    long bytes,
    long objectsWritten,
    long objectsReused,
    Instant expiresAt,
    Duration ingest,
    Duration commit) {}
