package io.ephemeral.cvmfs.dataplane.repository;

import io.ephemeral.cvmfs.common.format.ContentHash;
import io.ephemeral.cvmfs.dataplane.format.CatalogCounters;
import io.ephemeral.cvmfs.dataplane.format.DirectoryEntry;
import java.time.Instant;

/**
 * A publication: either a subtree, one nested catalog mounted at {@code path}, or a single file,
 * one row of the root catalog.
 *
 * @param catalog the nested catalog of a subtree, {@code null} for a single file
 * @param root metadata of the subtree's root directory, repeated on its mountpoint row; {@code
 *     null} for a single file
 * @param file the catalog row of a single file, {@code null} for a subtree
 * @param totals the nested catalog's counters, its own rows plus everything below it
 * @param expiresAt when the publication leaves the repository, or {@code null} for never
 * @param source the digest of the bytes it was published from ({@code sha256:HEX}), when known:
 *     the same bytes can then be published again elsewhere without being sent again
 */
public record Publication(
    String path,
    ContentHash catalog,
    long catalogSize,
    RootMetadata root,
    DirectoryEntry file,
    CatalogCounters totals,
    long files,
    long bytes,
    long revision,
    Instant createdAt,
    Instant expiresAt,
    String source) {

  public Publication {
    if ((catalog == null) == (file == null)) {
      throw new IllegalArgumentException("a publication is either a subtree or a single file: " + path);
    }
  }

  public boolean isFile() {
    return file != null;
  }

  /** Directory metadata of a publication root. */
  public record RootMetadata(int permissions, long mtime, int uid, int gid, long links) {}

  public Publication withRevision(long newRevision) {
    return new Publication(path, catalog, catalogSize, root, file, totals, files, bytes, newRevision, createdAt, expiresAt,
        source);
  }

  public Publication withExpiry(Instant newExpiry) {
    return new Publication(path, catalog, catalogSize, root, file, totals, files, bytes, revision, createdAt, newExpiry,
        source);
  }
}
