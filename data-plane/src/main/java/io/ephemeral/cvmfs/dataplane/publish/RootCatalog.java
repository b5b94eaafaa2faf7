package io.ephemeral.cvmfs.dataplane.publish;

import io.ephemeral.cvmfs.common.format.ContentHash;
import io.ephemeral.cvmfs.common.format.ObjectKind;
import io.ephemeral.cvmfs.dataplane.format.CatalogCounters;
import io.ephemeral.cvmfs.dataplane.format.CatalogWriter;
import io.ephemeral.cvmfs.dataplane.format.DirectoryEntry;
import io.ephemeral.cvmfs.dataplane.format.EntryFlags;
import io.ephemeral.cvmfs.dataplane.repository.Head;
import io.ephemeral.cvmfs.dataplane.repository.Publication;
import io.ephemeral.cvmfs.dataplane.repository.Repository;
import io.ephemeral.cvmfs.dataplane.storage.StoredObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
      Delta delta = before == null ? null : Delta.between(before, next);
      if (delta != null && delta.changedPaths() <= next.size() / 2) {
        catalog = editOrNull(file, delta);
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
      add(catalog, rows.entries().values(), rows.nested().values());
      return catalog;
    } catch (IOException | RuntimeException e) {
      catalog.close();
      throw e;
    }
  }

  /**
   * A copy of the kept database changed by {@code delta}, or null if the kept database does not
   * serve: it is only a cache, so any fault in it means building afresh.
   */
  private CatalogWriter editOrNull(Path file, Delta delta) throws IOException {
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
      for (DirectoryEntry entry : delta.removedEntries()) {
        catalog.remove(entry);
      }
      for (NestedCatalog nested : delta.removedNested()) {
        catalog.removeNestedCatalog(nested.path());
      }
      add(catalog, delta.addedEntries(), delta.addedNested());
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

  private static void add(CatalogWriter catalog, Collection<DirectoryEntry> entries, Collection<NestedCatalog> nested)
      throws IOException {
    for (DirectoryEntry entry : entries) {
      catalog.add(entry);
    }
    for (NestedCatalog mount : nested) {
      catalog.addNestedCatalog(mount.path(), mount.hash(), mount.size());
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
    // Clients evict objects of volatile repositories first: right for short-lived artifacts (format.md 12.3).
    properties.put("volatile", "1");
    return properties;
  }

  /** Lets go of the kept database. */
  @Override
  public void close() throws IOException {
    built = null;
    Files.deleteIfExists(repository.lastRootCatalog());
  }

  private record NestedCatalog(String path, ContentHash hash, long size) {}

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
        nested.put(publication.path(), new NestedCatalog(publication.path(), publication.catalog(), publication.catalogSize()));
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

    private static String parentOf(String path) {
      return path.substring(0, Math.max(0, path.lastIndexOf('/')));
    }
  }

  /**
   * What turns one set of rows into another: the rows to remove (gone or changed), then the rows
   * to add (new or changed), and how many paths hold rows that differ.
   */
  private record Delta(List<DirectoryEntry> removedEntries, List<NestedCatalog> removedNested,
      List<DirectoryEntry> addedEntries, List<NestedCatalog> addedNested, int changedPaths) {

    static Delta between(Rows before, Rows after) {
      List<DirectoryEntry> removedEntries = new ArrayList<>();
      List<DirectoryEntry> addedEntries = new ArrayList<>();
      List<NestedCatalog> removedNested = new ArrayList<>();
      List<NestedCatalog> addedNested = new ArrayList<>();
      int changedPaths = compare(before.entries(), after.entries(), removedEntries, addedEntries)
          + compare(before.nested(), after.nested(), removedNested, addedNested);
      return new Delta(removedEntries, removedNested, addedEntries, addedNested, changedPaths);
    }

    /** Fills {@code removed} and {@code added}; returns the number of paths whose value differs. */
    private static <V> int compare(Map<String, V> before, Map<String, V> after, List<V> removed, List<V> added) {
      int changedPaths = 0;
      for (Map.Entry<String, V> old : before.entrySet()) {
        if (!old.getValue().equals(after.get(old.getKey()))) {
          removed.add(old.getValue());
          changedPaths++;
        }
      }
      for (Map.Entry<String, V> now : after.entrySet()) {
        V was = before.get(now.getKey());
        if (!now.getValue().equals(was)) {
          added.add(now.getValue());
          // A changed path was counted with its removal.
          changedPaths += was == null ? 1 : 0;
        }
      }
      return changedPaths;
    }
  }
}
