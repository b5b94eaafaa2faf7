package io.ephemeral.cvmfs.dataplane.repository;

import io.ephemeral.cvmfs.common.format.ContentHash;
import java.util.List;

/**
 * A name for a revision: its root catalog, which clients can mount by the name and garbage
 * collection keeps, and its publications, which a rollback publishes again.
 *
 * @param timestamp Unix seconds of the tagging
 */
public record Tag(String name, long revision, ContentHash rootCatalog, long catalogSize, long timestamp,
    String description, List<Publication> publications) {

  public Tag {
    publications = List.copyOf(publications);
  }
}
