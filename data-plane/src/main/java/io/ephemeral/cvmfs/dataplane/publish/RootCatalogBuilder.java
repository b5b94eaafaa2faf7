package io.ephemeral.cvmfs.dataplane.publish;

import io.ephemeral.cvmfs.dataplane.format.CatalogCounters;
import io.ephemeral.cvmfs.dataplane.format.CatalogWriter;
import io.ephemeral.cvmfs.dataplane.format.ContentHash;
import io.ephemeral.cvmfs.dataplane.format.DirectoryEntry;
import io.ephemeral.cvmfs.dataplane.format.EntryFlags;
import io.ephemeral.cvmfs.dataplane.format.ObjectKind;
import io.ephemeral.cvmfs.dataplane.format.StoredObject;
import io.ephemeral.cvmfs.dataplane.repository.Head;
import io.ephemeral.cvmfs.dataplane.repository.Publication;
import io.ephemeral.cvmfs.dataplane.repository.Repository;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;

/**
 * Builds the root catalog of a revision from scratch: the repository root, the directories
 * leading to each publication, and one mountpoint per publication pointing at its nested
 * catalog. It holds a handful of rows per publication, so rebuilding it is cheap and adding or
 * removing a publication never touches another one's catalog.
 */
final class RootCatalogBuilder {

  private RootCatalogBuilder() {}

  static Head build(Repository repository, Collection<Publication> publications, long revision, long timestamp,
      ContentHash previous) throws IOException {
    TreeSet<String> directories = new TreeSet<>();
    for (Publication publication : publications) {
      for (String parent = parentOf(publication.path()); !parent.isEmpty(); parent = parentOf(parent)) {
        directories.add(parent);
      }
    }
    Map<String, Integer> subdirectories = new TreeMap<>();
    directories.forEach(d -> subdirectories.merge(parentOf(d), 1, Integer::sum));
    publications.stream().filter(p -> !p.isFile()).forEach(p -> subdirectories.merge(parentOf(p.path()), 1, Integer::sum));

    Path file = repository.scratch().resolve("root-" + UUID.randomUUID() + ".db");
    try {
      CatalogWriter catalog = CatalogWriter.create(file);
      try {
        catalog.add(DirectoryEntry.directory("", 0755, timestamp, 0, 0, 2 + subdirectories.getOrDefault("", 0), 0));
        for (String directory : directories) {
          catalog.add(DirectoryEntry.directory(directory, 0755, timestamp, 0, 0, 2 + subdirectories.getOrDefault(directory, 0), 0));
        }
        CatalogCounters subtree = CatalogCounters.ZERO;
        for (Publication publication : publications) {
          if (publication.isFile()) {
            catalog.add(publication.file());
            continue;
          }
          Publication.RootMetadata root = publication.root();
          catalog.add(DirectoryEntry.directory(publication.path(), root.permissions(), root.mtime(), root.uid(), root.gid(),
              root.links(), EntryFlags.NESTED_MOUNTPOINT));
          catalog.addNestedCatalog(publication.path(), publication.catalog(), publication.catalogSize());
          subtree = subtree.plus(publication.totals());
        }
        catalog.finish(properties(repository, revision, timestamp, previous), subtree);
      } finally {
        catalog.close();
      }
      StoredObject stored = repository.objects().putCompressedFile(file, ObjectKind.CATALOG, repository.options().hash());
      return new Head(revision, timestamp, stored.hash(), stored.size());
    } finally {
      Files.deleteIfExists(file);
    }
  }

  private static Map<String, String> properties(Repository repository, long revision, long timestamp, ContentHash previous) {
    Map<String, String> properties = new LinkedHashMap<>();
    properties.put("revision", Long.toString(revision));
    properties.put("last_modified", Long.toString(timestamp));
    if (previous != null) {
      properties.put("previous_revision", previous.toString());
    }
    properties.put("TTL", Long.toString(repository.options().manifestTtl()));
    // Clients evict objects of volatile repositories first: right for short-lived artifacts (spec 12.3).
    properties.put("volatile", "1");
    return properties;
  }

  private static String parentOf(String path) {
    return path.substring(0, Math.max(0, path.lastIndexOf('/')));
  }
}
