package io.ephemeral.cvmfs.dataplane.publish;

import io.ephemeral.cvmfs.common.format.ContentHash;
import io.ephemeral.cvmfs.dataplane.format.CatalogCounters;
import io.ephemeral.cvmfs.dataplane.format.DirectoryEntry;
import io.ephemeral.cvmfs.dataplane.repository.Publication;
import java.time.Instant;

/**
 * A publication whose objects (and, for a subtree, nested catalog) are stored, ready to be
 * committed. Exactly one of {@code catalog} and {@code file} is set.
 */
public record IngestedPublication(
    String path,
    ContentHash catalog,
    long catalogSize,
    Publication.RootMetadata root,
    DirectoryEntry file,
    CatalogCounters totals,
    long files,
    long bytes,
    long objectsWritten,
    long objectsReused) {

  public Publication toPublication(long revision, Instant createdAt, Instant expiresAt) {
    return new Publication(path, catalog, catalogSize, root, file, totals, files, bytes, revision, createdAt, expiresAt);
  }
}
