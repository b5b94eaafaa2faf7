package io.ephemeral.cvmfs.dataplane.maintenance;

import io.ephemeral.cvmfs.common.format.ContentHash;
import io.ephemeral.cvmfs.common.format.ObjectKind;
import io.ephemeral.cvmfs.dataplane.storage.ObjectStore;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.Set;
import java.util.UUID;
import java.util.zip.InflaterInputStream;
import org.sqlite.SQLiteConfig;

/**
 * The mark phase: adds every object a catalog tree references to the keep set, the catalogs
 * themselves included. Catalogs shared between revisions (a publication's nested catalog lives
 * on until it is removed) are read once.
 */
final class CatalogMarker {

  private final ObjectStore store;
  private final Path scratch;
  private final DigestBloomFilter keep;
  private final Set<ContentHash> visited = new HashSet<>();
  private long entries;

  CatalogMarker(ObjectStore store, Path scratch, DigestBloomFilter keep) {
    this.store = store;
    this.scratch = scratch;
    this.keep = keep;
  }

  /**
   * Marks the tree below {@code rootCatalog}. A catalog missing from the store is skipped: it can
   * only belong to a revision an earlier collection condemned, so nothing can be served from it.
   *
   * @return whether the root catalog itself was present
   */
  boolean markTree(ContentHash rootCatalog) throws IOException {
    Deque<ContentHash> pending = new ArrayDeque<>();
    pending.push(rootCatalog);
    boolean rootPresent = true;
    while (!pending.isEmpty()) {
      ContentHash catalog = pending.pop();
      if (!visited.add(catalog)) {
        continue;
      }
      keep.add(catalog.digest());
      boolean present = markCatalog(catalog, pending);
      if (catalog.equals(rootCatalog)) {
        rootPresent = present;
      }
    }
    return rootPresent;
  }

  /** Rows and chunks read so far. */
  long entries() {
    return entries;
  }

  private boolean markCatalog(ContentHash catalog, Deque<ContentHash> pending) throws IOException {
    Path file = scratch.resolve("gc-" + UUID.randomUUID() + ".db");
    try {
      try (InputStream in = new InflaterInputStream(store.open(catalog, ObjectKind.CATALOG))) {
        Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
      } catch (NoSuchFileException e) {
        return false;
      }
      SQLiteConfig config = new SQLiteConfig();
      config.setReadOnly(true);
      try (Connection connection = config.createConnection("jdbc:sqlite:" + file);
          Statement statement = connection.createStatement()) {
        markDigests(statement, "SELECT hash FROM catalog WHERE hash IS NOT NULL AND length(hash) > 0");
        markDigests(statement, "SELECT hash FROM chunks");
        try (ResultSet rows = statement.executeQuery("SELECT sha1 FROM nested_catalogs")) {
          while (rows.next()) {
            pending.push(ContentHash.parse(rows.getString(1)));
          }
        }
      } catch (SQLException e) {
        throw new IOException("cannot read catalog " + catalog + ": " + e.getMessage(), e);
      }
      return true;
    } finally {
      Files.deleteIfExists(file);
    }
  }

  private void markDigests(Statement statement, String query) throws SQLException {
    try (ResultSet rows = statement.executeQuery(query)) {
      while (rows.next()) {
        byte[] digest = rows.getBytes(1);
        if (digest != null && digest.length >= 16) {
          keep.add(digest);
          entries++;
        }
      }
    }
  }
}
