package io.ephemeral.cvmfs.dataplane.publish;

import io.ephemeral.cvmfs.common.format.ContentHash;
import io.ephemeral.cvmfs.dataplane.format.CatalogCounters;
import io.ephemeral.cvmfs.dataplane.format.DirectoryEntry;
import io.ephemeral.cvmfs.dataplane.repository.Publication;
import java.time.Instant;

/**
 * A publication whose objects (and, for a subtree, nested catalog) are stored, ready to be
 * committed. Exactly one of {@code catalog} and {@code file} is set.
 *
 * @param source the digest of the bytes it came from ({@code sha256:HEX}), or {@code null}
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
    long objectsReused,
    String source) {

  public Publication toPublication(long revision, Instant createdAt, Instant expiresAt) {
    return new Publication(path, catalog, catalogSize, root, file, totals, files, bytes, revision, createdAt, expiresAt,
        source);
  }

  public IngestedPublication withSource(String digest) {
    return new IngestedPublication(path, catalog, catalogSize, root, file, totals, files, bytes, objectsWritten,
        objectsReused, digest);
  }
}
