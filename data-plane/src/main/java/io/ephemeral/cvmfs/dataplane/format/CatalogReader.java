package io.ephemeral.cvmfs.dataplane.format;

import io.ephemeral.cvmfs.common.format.ContentHash;
import io.ephemeral.cvmfs.common.format.HashAlgorithm;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.sqlite.SQLiteConfig;

/** Reads a file catalog the way the client does: by path hash and by parent hash (format.md 7.5). */
public final class CatalogReader implements AutoCloseable {

  private static final String COLUMNS = "md5path_1, md5path_2, hardlinks, hash, size, mode, mtime, flags, name, symlink, uid, gid";

  private final Connection connection;
  private final String rootPrefix;
  private final PreparedStatement byPath;
  private final PreparedStatement byParent;
  private final PreparedStatement chunksOf;

  private CatalogReader(Path file) throws SQLException {
    SQLiteConfig config = new SQLiteConfig();
    config.setReadOnly(true);
    this.connection = config.createConnection("jdbc:sqlite:" + file);
    this.byPath = connection.prepareStatement("SELECT " + COLUMNS + " FROM catalog WHERE md5path_1 = ? AND md5path_2 = ?");
    this.byParent = connection.prepareStatement("SELECT " + COLUMNS + " FROM catalog WHERE parent_1 = ? AND parent_2 = ?");
    this.chunksOf = connection.prepareStatement(
        "SELECT offset, size, hash FROM chunks WHERE md5path_1 = ? AND md5path_2 = ? ORDER BY offset");
    this.rootPrefix = properties().getOrDefault("root_prefix", "");
  }

  public static CatalogReader open(Path file) throws IOException {
    try {
      return new CatalogReader(file);
    } catch (SQLException e) {
      throw new IOException("cannot open catalog " + file + ": " + e.getMessage(), e);
    }
  }

  /** The subtree this catalog covers: {@code ""} for the root catalog, else its mountpoint path. */
  public String rootPrefix() {
    return rootPrefix;
  }

  public Map<String, String> properties() throws SQLException {
    Map<String, String> properties = new LinkedHashMap<>();
    try (Statement statement = connection.createStatement();
        ResultSet rows = statement.executeQuery("SELECT key, value FROM properties")) {
      while (rows.next()) {
        properties.put(rows.getString(1), rows.getString(2));
      }
    }
    return properties;
  }

  public Map<String, Long> statistics() throws IOException {
    return query("statistics", "SELECT counter, value FROM statistics", rows -> Map.entry(rows.getString(1), rows.getLong(2)))
        .stream().collect(LinkedHashMap::new, (m, e) -> m.put(e.getKey(), e.getValue()), Map::putAll);
  }

  /** Rows of {@code nested_catalogs}: path, hash string, uncompressed size. */
  public List<NestedCatalog> nestedCatalogs() throws IOException {
    return query("nested catalogs", "SELECT path, sha1, size FROM nested_catalogs ORDER BY path",
        rows -> new NestedCatalog(rows.getString(1), ContentHash.parse(rows.getString(2)), rows.getLong(3)));
  }

  public Optional<DirectoryEntry> lookup(String path) throws IOException {
    try {
      PathHash key = PathHash.of(path);
      byPath.setLong(1, key.high());
      byPath.setLong(2, key.low());
      try (ResultSet rows = byPath.executeQuery()) {
        return rows.next() ? Optional.of(entry(rows, parentOf(path))) : Optional.empty();
      }
    } catch (SQLException e) {
      throw new IOException("cannot look up " + path + ": " + e.getMessage(), e);
    }
  }

  /** The entries directly inside directory {@code path}, sorted by name. */
  public List<DirectoryEntry> list(String path) throws IOException {
    List<DirectoryEntry> entries = new ArrayList<>();
    try {
      PathHash key = PathHash.of(path);
      byParent.setLong(1, key.high());
      byParent.setLong(2, key.low());
      try (ResultSet rows = byParent.executeQuery()) {
        while (rows.next()) {
          entries.add(entry(rows, path));
        }
      }
    } catch (SQLException e) {
      throw new IOException("cannot list " + path + ": " + e.getMessage(), e);
    }
    entries.sort((a, b) -> a.name().compareTo(b.name()));
    return entries;
  }

  /** Number of rows in the {@code catalog} table. */
  public long entryCount() throws IOException {
    return query("catalog", "SELECT count(*) FROM catalog", rows -> rows.getLong(1)).get(0);
  }

  private DirectoryEntry entry(ResultSet rows, String parent) throws SQLException {
    String name = rows.getString(9);
    String path = parent == null ? "" : parent + "/" + name;
    byte[] digest = rows.getBytes(4);
    int flags = rows.getInt(8);
    HashAlgorithm algorithm = HashAlgorithm.fromCatalogFlags(flags);
    ContentHash hash = digest == null || digest.length == 0 ? null : new ContentHash(algorithm, digest);
    List<Chunk> chunks = (flags & EntryFlags.CHUNKED) != 0 ? chunks(rows.getLong(1), rows.getLong(2), algorithm) : List.of();
    return new DirectoryEntry(path, rows.getInt(6), rows.getLong(5), rows.getLong(7), flags, rows.getString(10),
        rows.getInt(11), rows.getInt(12), rows.getLong(3), hash, chunks);
  }

  private List<Chunk> chunks(long high, long low, HashAlgorithm algorithm) throws SQLException {
    chunksOf.setLong(1, high);
    chunksOf.setLong(2, low);
    List<Chunk> chunks = new ArrayList<>();
    try (ResultSet rows = chunksOf.executeQuery()) {
      while (rows.next()) {
        chunks.add(new Chunk(rows.getLong(1), rows.getLong(2), new ContentHash(algorithm, rows.getBytes(3))));
      }
    }
    return chunks;
  }

  private static String parentOf(String path) {
    return path.isEmpty() ? null : path.substring(0, path.lastIndexOf('/'));
  }

  private <T> List<T> query(String what, String sql, RowMapper<T> mapper) throws IOException {
    List<T> result = new ArrayList<>();
    try (Statement statement = connection.createStatement(); ResultSet rows = statement.executeQuery(sql)) {
      while (rows.next()) {
        result.add(mapper.map(rows));
      }
    } catch (SQLException e) {
      throw new IOException("cannot read " + what + ": " + e.getMessage(), e);
    }
    return result;
  }

  @Override
  public void close() throws IOException {
    try {
      connection.close();
    } catch (SQLException e) {
      throw new IOException("cannot close catalog: " + e.getMessage(), e);
    }
  }

  /** A row of {@code nested_catalogs}. */
  public record NestedCatalog(String path, ContentHash hash, long size) {}

  private interface RowMapper<T> {
    T map(ResultSet rows) throws SQLException;
  }
}
