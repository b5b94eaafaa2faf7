package io.ephemeral.cvmfs.dataplane.repository;

import io.ephemeral.cvmfs.dataplane.format.CatalogCounters;
import io.ephemeral.cvmfs.dataplane.format.ContentHash;
import java.time.Instant;

/**
 * A published subtree: one nested catalog mounted at {@code path}.
 *
 * @param root metadata of the subtree's root directory, repeated on its mountpoint row
 * @param totals the nested catalog's counters, its own rows plus everything below it
 * @param expiresAt when the publication leaves the repository, or {@code null} for never
 */
public record Publication(
    String path,
    ContentHash catalog,
    long catalogSize,
    RootMetadata root,
    CatalogCounters totals,
    long files,
    long bytes,
    long revision,
    Instant createdAt,
    Instant expiresAt) {

  /** Directory metadata of a publication root. */
  public record RootMetadata(int permissions, long mtime, int uid, int gid, long links) {}

  public Publication withRevision(long newRevision) {
    return new Publication(path, catalog, catalogSize, root, totals, files, bytes, newRevision, createdAt, expiresAt);
  }
}
