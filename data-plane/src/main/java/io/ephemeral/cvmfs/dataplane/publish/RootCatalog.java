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
import java.nio.file.StandardCopyOption;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds the root catalog of each revision: the repository root, the directories leading to
 * each publication, and one row per publication (a mountpoint pointing at its nested catalog, or
 * a single file). Adding or removing a publication never touches another one's catalog.
 *
 * <p>The root holds a few rows per publication, yet thousands of publications make rebuilding
 * it the largest part of a commit. So it keeps the plain database of the last catalog it built
 * ({@link Repository#lastRootCatalog}) and changes a copy of it by the rows that differ. When
 * most rows differ, or removals have left a quarter of its pages free, it starts afresh. Used by
 * the committer thread only.
 */
final class RootCatalog implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(RootCatalog.class);
  // Free pages left by removals go out with every revision; past this share, build afresh.
  private static final double MAX_FREE_PAGE_SHARE = 0.25;

  private final Repository repository;
  // The rows of the database at repository.lastRootCatalog(); null until this instance built one.
  private Rows built;
  private boolean lastBuildEdited;

  RootCatalog(Repository repository) {
    this.repository = repository;
  }

  Head build(Collection<Publication> publications, long revision, long timestamp, ContentHash previous)
      throws IOException {
    Rows next = Rows.of(publications, timestamp);
    Rows before = built;
    // Until this build is kept, the kept database may no longer hold the rows `built` describes.
    built = null;
    Path file = repository.scratch().resolve("root-" + UUID.randomUUID() + ".db");
    boolean kept = false;
    try {
      CatalogWriter catalog = null;
      lastBuildEdited = false;
      if (before != null && next.changesFrom(before) <= next.size() / 2) {
        catalog = editOrNull(file, before, next);
        lastBuildEdited = catalog != null;
      }
      if (catalog == null) {
        catalog = create(file, next);
      }
      try {
        catalog.finish(properties(revision, timestamp, previous), next.subtree());
      } finally {
        catalog.close();
      }
      StoredObject stored = repository.objects().putCompressedFile(file, ObjectKind.CATALOG, repository.options().hash());
      Files.move(file, repository.lastRootCatalog(), StandardCopyOption.REPLACE_EXISTING);
      kept = true;
      built = next;
      return new Head(revision, timestamp, stored.hash(), stored.size());
    } finally {
      if (!kept) {
        Files.deleteIfExists(file);
      }
    }
  }

  /** Whether the last catalog built was an edit of the one before, not built afresh. */
  boolean lastBuildEdited() {
    return lastBuildEdited;
  }

  private static CatalogWriter create(Path file, Rows rows) throws IOException {
    CatalogWriter catalog = CatalogWriter.create(file);
    try {
      for (DirectoryEntry entry : rows.entries().values()) {
        catalog.add(entry);
      }
      for (Map.Entry<String, NestedCatalog> nested : rows.nested().entrySet()) {
        catalog.addNestedCatalog(nested.getKey(), nested.getValue().hash(), nested.getValue().size());
      }
      return catalog;
    } catch (IOException | RuntimeException e) {
      catalog.close();
      throw e;
    }
  }

  /**
   * A copy of the kept database changed from {@code before} into {@code after}, or null if the
   * kept database does not serve: it is only a cache, so any fault in it means building afresh.
   */
  private CatalogWriter editOrNull(Path file, Rows before, Rows after) throws IOException {
    CatalogWriter catalog = null;
    try {
      Files.copy(repository.lastRootCatalog(), file);
      catalog = CatalogWriter.edit(file);
      if (catalog.freePageShare() > MAX_FREE_PAGE_SHARE) {
        catalog.close();
        Files.delete(file);
        return null;
      }
      // Removals first: a changed row goes out before its new version comes in.
      for (DirectoryEntry old : before.entries().values()) {
        if (!old.equals(after.entries().get(old.path()))) {
          catalog.remove(old);
        }
      }
      for (Map.Entry<String, NestedCatalog> old : before.nested().entrySet()) {
        if (!old.getValue().equals(after.nested().get(old.getKey()))) {
          catalog.removeNestedCatalog(old.getKey());
        }
      }
      for (DirectoryEntry entry : after.entries().values()) {
        if (!entry.equals(before.entries().get(entry.path()))) {
          catalog.add(entry);
        }
      }
      for (Map.Entry<String, NestedCatalog> nested : after.nested().entrySet()) {
        if (!nested.getValue().equals(before.nested().get(nested.getKey()))) {
          catalog.addNestedCatalog(nested.getKey(), nested.getValue().hash(), nested.getValue().size());
        }
      }
      return catalog;
    } catch (IOException e) {
      LOG.warn("building the root catalog afresh: the copy kept of the last one does not serve ({})", e.toString());
      if (catalog != null) {
        catalog.close();
      }
      Files.deleteIfExists(file);
      return null;
    }
  }

  private Map<String, String> properties(long revision, long timestamp, ContentHash previous) {
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

  /** Lets go of the kept database. */
  @Override
  public void close() throws IOException {
    built = null;
    Files.deleteIfExists(repository.lastRootCatalog());
  }

  private record NestedCatalog(ContentHash hash, long size) {}

  /** The rows of one root catalog, by path, with the counters of everything below it. */
  private record Rows(Map<String, DirectoryEntry> entries, Map<String, NestedCatalog> nested, CatalogCounters subtree) {

    static Rows of(Collection<Publication> publications, long timestamp) {
      TreeSet<String> directories = new TreeSet<>();
      for (Publication publication : publications) {
        for (String parent = parentOf(publication.path()); !parent.isEmpty(); parent = parentOf(parent)) {
          directories.add(parent);
        }
      }
      Map<String, Integer> subdirectories = new TreeMap<>();
      directories.forEach(d -> subdirectories.merge(parentOf(d), 1, Integer::sum));
      publications.stream().filter(p -> !p.isFile()).forEach(p -> subdirectories.merge(parentOf(p.path()), 1, Integer::sum));

      Map<String, DirectoryEntry> entries = new LinkedHashMap<>();
      Map<String, NestedCatalog> nested = new LinkedHashMap<>();
      put(entries, DirectoryEntry.directory("", 0755, timestamp, 0, 0, 2 + subdirectories.getOrDefault("", 0), 0));
      for (String directory : directories) {
        put(entries, DirectoryEntry.directory(directory, 0755, timestamp, 0, 0, 2 + subdirectories.getOrDefault(directory, 0), 0));
      }
      CatalogCounters subtree = CatalogCounters.ZERO;
      for (Publication publication : publications) {
        if (publication.isFile()) {
          put(entries, publication.file());
          continue;
        }
        Publication.RootMetadata root = publication.root();
        put(entries, DirectoryEntry.directory(publication.path(), root.permissions(), root.mtime(), root.uid(), root.gid(),
            root.links(), EntryFlags.NESTED_MOUNTPOINT));
        nested.put(publication.path(), new NestedCatalog(publication.catalog(), publication.catalogSize()));
        subtree = subtree.plus(publication.totals());
      }
      return new Rows(entries, nested, subtree);
    }

    private static void put(Map<String, DirectoryEntry> entries, DirectoryEntry entry) {
      entries.put(entry.path(), entry);
    }

    int size() {
      return entries.size() + nested.size();
    }

    /** How many rows must be removed or added to turn {@code before} into these rows. */
    int changesFrom(Rows before) {
      return changes(before.entries, entries) + changes(before.nested, nested);
    }

    private static <V> int changes(Map<String, V> before, Map<String, V> after) {
      int changes = 0;
      for (Map.Entry<String, V> entry : after.entrySet()) {
        if (!Objects.equals(entry.getValue(), before.get(entry.getKey()))) {
          changes++;
        }
      }
      for (String path : before.keySet()) {
        if (!after.containsKey(path)) {
          changes++;
        }
      }
      return changes;
    }

    private static String parentOf(String path) {
      return path.substring(0, Math.max(0, path.lastIndexOf('/')));
    }
  }
}
