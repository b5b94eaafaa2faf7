package io.ephemeral.cvmfs.dataplane.publish;

import io.ephemeral.cvmfs.common.format.ObjectKind;
import io.ephemeral.cvmfs.dataplane.format.CatalogCounters;
import io.ephemeral.cvmfs.dataplane.format.CatalogWriter;
import io.ephemeral.cvmfs.dataplane.format.DirectoryEntry;
import io.ephemeral.cvmfs.dataplane.format.EntryFlags;
import io.ephemeral.cvmfs.dataplane.publish.source.EntryPaths;
import io.ephemeral.cvmfs.dataplane.publish.source.InvalidSourceException;
import io.ephemeral.cvmfs.dataplane.publish.source.SourceEntry;
import io.ephemeral.cvmfs.dataplane.publish.source.SourceEntry.EntryType;
import io.ephemeral.cvmfs.dataplane.publish.source.TreeSource;
import io.ephemeral.cvmfs.dataplane.repository.Publication;
import io.ephemeral.cvmfs.dataplane.repository.Repository;
import io.ephemeral.cvmfs.dataplane.repository.RepositoryOptions;
import io.ephemeral.cvmfs.dataplane.storage.StoredObject;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * Turns a tree source into stored objects and one nested catalog mounted at the publication
 * path (format.md 7.9). Runs concurrently with other ingests; nothing becomes visible until the
 * committer folds the result into a revision.
 */
public final class PublicationIngest {

  static final String CATALOG_MARKER = ".cvmfscatalog";

  private final Repository repository;
  private final ContentIngester content;

  public PublicationIngest(Repository repository, ObjectPipeline pipeline) {
    this.repository = repository;
    this.content = new ContentIngester(repository.objects(), repository.options(), pipeline);
  }

  /** Ingests {@code source} for publication at {@code path}, a normalised {@code /a/b}. */
  public IngestedPublication ingest(String path, TreeSource source) throws IOException {
    long now = repository.clock().instant().getEpochSecond();
    Map<String, Node> tree = new LinkedHashMap<>();
    tree.put("", new Node(SourceEntry.directory("", 0755, now, 0, 0), null));
    int prefixBytes = EntryPaths.utf8Length(path) + 1;
    source.walk((entry, in) -> {
      // Checked before the entry is kept: what a publication holds in memory is bounded by its entries.
      if (prefixBytes + EntryPaths.utf8Length(entry.path()) > EntryPaths.MAX_PATH_BYTES) {
        throw new InvalidSourceException("entry '" + entry.path() + "' makes a path longer than the limit of "
            + EntryPaths.MAX_PATH_BYTES + " bytes (PATH_MAX) below " + path);
      }
      add(tree, entry, in, now);
    });
    Node marker = null;
    if (!tree.containsKey(CATALOG_MARKER)) {
      marker = new Node(new SourceEntry(CATALOG_MARKER, EntryType.REGULAR, 0444, 0, now, 0, 0, null),
          content.ingest(new ByteArrayInputStream(new byte[0]), 0, CATALOG_MARKER));
      tree.put(CATALOG_MARKER, marker);
    }
    return writeCatalog(path, tree, marker, now);
  }

  /**
   * Ingests one file for publication at {@code path}, a normalised {@code /a/b} naming the file.
   *
   * @param size the exact size, or -1 to read to the end of {@code content}
   */
  public IngestedPublication ingestFile(String path, InputStream content, long size, int permissions) throws IOException {
    long now = repository.clock().instant().getEpochSecond();
    FileContent stored = await(this.content.ingest(content, size, path));
    RepositoryOptions options = repository.options();
    DirectoryEntry row = DirectoryEntry.regular(path, permissions, stored.size(), now, 0, 0, options.hash(),
        stored.compression(), stored.hash(), stored.chunks());
    return new IngestedPublication(path, null, 0, null, row, CatalogCounters.ZERO, 1, stored.size(),
        stored.objectsWritten(), stored.objectsReused(), null);
  }

  private void add(Map<String, Node> tree, SourceEntry entry, InputStream in, long now) throws IOException {
    String path = entry.path();
    ensureParents(tree, path, now);
    Node existing = tree.get(path);
    if (existing != null && existing.entry.type() == EntryType.DIRECTORY && entry.type() != EntryType.DIRECTORY) {
      throw new InvalidSourceException("entry '" + path + "' is a directory and then a " + entry.type().name().toLowerCase());
    }
    switch (entry.type()) {
      case REGULAR -> tree.put(path, new Node(entry, content.ingest(in, entry.size(), path)));
      case HARDLINK -> {
        Node target = tree.get(entry.linkTarget());
        if (target == null || target.content == null) {
          throw new InvalidSourceException("hard link '" + path + "' points to '" + entry.linkTarget() + "', which is not an earlier regular file");
        }
        SourceEntry t = target.entry;
        // Stored as an independent file with the same content, which is always valid (format.md 7.12).
        tree.put(path, new Node(new SourceEntry(path, EntryType.REGULAR, t.permissions(), t.size(), t.mtimeSeconds(),
            t.uid(), t.gid(), null), target.content));
      }
      case DIRECTORY, SYMLINK -> tree.put(path, new Node(entry, null));
    }
  }

  /** Adds the missing ancestors of {@code path}, uppermost first; a loop, so depth costs no stack. */
  private static void ensureParents(Map<String, Node> tree, String path, long now) throws InvalidSourceException {
    String child = path;
    String parent;
    Node node;
    // Up to the nearest ancestor already in the tree; the root always is.
    while (true) {
      int slash = child.lastIndexOf('/');
      parent = slash < 0 ? "" : child.substring(0, slash);
      node = tree.get(parent);
      if (node != null) {
        break;
      }
      child = parent;
    }
    if (node.entry.type() != EntryType.DIRECTORY) {
      throw new InvalidSourceException("'" + path + "' lies below '" + parent + "', which is not a directory");
    }
    // Then down again, adding each missing directory.
    for (int slash = child.length(); slash > 0 && slash < path.length(); slash = path.indexOf('/', slash + 1)) {
      String missing = path.substring(0, slash);
      tree.put(missing, new Node(SourceEntry.directory(missing, 0755, now, 0, 0), null));
    }
  }

  /** Writes the nested catalog; {@code marker} is the catalog marker this ingest added, not counted as content. */
  private IngestedPublication writeCatalog(String publicationPath, Map<String, Node> tree, Node marker, long now)
      throws IOException {
    RepositoryOptions options = repository.options();
    Map<String, Integer> subdirectories = new LinkedHashMap<>();
    for (Node node : tree.values()) {
      String path = node.entry.path();
      if (node.entry.type() == EntryType.DIRECTORY && !path.isEmpty()) {
        int slash = path.lastIndexOf('/');
        subdirectories.merge(slash < 0 ? "" : path.substring(0, slash), 1, Integer::sum);
      }
    }
    Path file = repository.scratch().resolve("catalog-" + UUID.randomUUID() + ".db");
    long files = 0;
    long bytes = 0;
    long written = 0;
    long reused = 0;
    try {
      CatalogWriter catalog = CatalogWriter.create(file);
      try {
        for (Node node : tree.values()) {
          SourceEntry e = node.entry;
          String fullPath = e.path().isEmpty() ? publicationPath : publicationPath + "/" + e.path();
          DirectoryEntry row = switch (e.type()) {
            case DIRECTORY -> DirectoryEntry.directory(fullPath, e.permissions(), e.mtimeSeconds(), e.uid(), e.gid(),
                2 + subdirectories.getOrDefault(e.path(), 0), e.path().isEmpty() ? EntryFlags.NESTED_ROOT : 0);
            case SYMLINK -> DirectoryEntry.symlink(fullPath, e.linkTarget(), e.mtimeSeconds(), e.uid(), e.gid());
            case REGULAR, HARDLINK -> {
              FileContent stored = await(node.content);
              if (node != marker) {
                files++;
                bytes += stored.size();
              }
              written += stored.objectsWritten();
              reused += stored.objectsReused();
              yield DirectoryEntry.regular(fullPath, e.permissions(), stored.size(), e.mtimeSeconds(), e.uid(), e.gid(),
                  options.hash(), stored.compression(), stored.hash(), stored.chunks());
            }
          };
          catalog.add(row);
        }
        CatalogCounters self = catalog.selfCounters();
        catalog.finish(properties(publicationPath, now), CatalogCounters.ZERO);
        StoredObject stored = repository.objects().putCompressedFile(file, ObjectKind.CATALOG, options.hash());
        SourceEntry root = tree.get("").entry;
        return new IngestedPublication(publicationPath, stored.hash(), stored.size(),
            new Publication.RootMetadata(root.permissions(), root.mtimeSeconds(), root.uid(), root.gid(),
                2 + subdirectories.getOrDefault("", 0)),
            null, self, files, bytes, written + (stored.written() ? 1 : 0), reused, null);
      } finally {
        catalog.close();
      }
    } finally {
      Files.deleteIfExists(file);
    }
  }

  /** The properties of a publication's nested catalog. */
  static Map<String, String> properties(String publicationPath, long now) {
    Map<String, String> properties = new LinkedHashMap<>();
    properties.put("revision", "1");
    properties.put("last_modified", Long.toString(now));
    properties.put("root_prefix", publicationPath);
    return properties;
  }

  private static FileContent await(CompletableFuture<FileContent> future) throws IOException {
    try {
      return future.join();
    } catch (CompletionException e) {
      if (e.getCause() instanceof UncheckedIOException io) {
        throw io.getCause();
      }
      throw e;
    }
  }

  private record Node(SourceEntry entry, CompletableFuture<FileContent> content) {}
}
