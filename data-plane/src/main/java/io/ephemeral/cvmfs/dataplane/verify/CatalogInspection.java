package io.ephemeral.cvmfs.dataplane.verify;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.sqlite.SQLiteConfig;

/**
 * The catalog facts {@link io.ephemeral.cvmfs.dataplane.format.CatalogReader} does not expose
 * because the client never needs them as values, only needs them to hold: the file header, the
 * schema shape, NULL columns, rows no lookup reaches.
 */
final class CatalogInspection implements AutoCloseable {

  private static final byte[] SQLITE_MAGIC = "SQLite format 3\0".getBytes(StandardCharsets.US_ASCII);

  /** Tables the client queries in a schema 2.5 revision 7 catalog (format.md 7.2). */
  static final Set<String> TABLES = Set.of("properties", "catalog", "chunks", "nested_catalogs", "bind_mountpoints",
      "statistics");

  static final List<String> CATALOG_COLUMNS = List.of("md5path_1", "md5path_2", "parent_1", "parent_2", "hardlinks",
      "hash", "size", "mode", "mtime", "mtimens", "flags", "name", "symlink", "uid", "gid", "xattr");

  private final Connection connection;

  private CatalogInspection(Connection connection) {
    this.connection = connection;
  }

  static CatalogInspection open(Path file) throws IOException {
    SQLiteConfig config = new SQLiteConfig();
    config.setReadOnly(true);
    try {
      return new CatalogInspection(config.createConnection("jdbc:sqlite:" + file));
    } catch (SQLException e) {
      throw new IOException("cannot open " + file + " as SQLite: " + e.getMessage(), e);
    }
  }

  /**
   * Checks the file header: an SQLite 3 database in rollback-journal mode, i.e. header bytes 18
   * and 19 (write and read format versions) equal 1 (format.md 7.1). Returns a fault or null.
   */
  static String headerFault(Path file) throws IOException {
    byte[] header;
    try (InputStream in = Files.newInputStream(file)) {
      header = in.readNBytes(100);
    }
    if (header.length < 100 || !Arrays.equals(header, 0, SQLITE_MAGIC.length, SQLITE_MAGIC, 0, SQLITE_MAGIC.length)) {
      return "not an SQLite 3 database";
    }
    if (header[18] != 1 || header[19] != 1) {
      return "header bytes 18 and 19 are " + header[18] + " and " + header[19]
          + ", expected 1 and 1 (rollback journal; a WAL-mode catalog cannot be read by the client)";
    }
    return null;
  }

  Set<String> tables() throws IOException {
    return strings("SELECT name FROM sqlite_master WHERE type = 'table'", 1);
  }

  Set<String> catalogColumns() throws IOException {
    return strings("PRAGMA table_info(catalog)", 2);
  }

  long count(String sql) throws IOException {
    try (Statement statement = connection.createStatement(); ResultSet rows = statement.executeQuery(sql)) {
      return rows.next() ? rows.getLong(1) : 0;
    } catch (SQLException e) {
      throw new IOException("cannot run '" + sql + "': " + e.getMessage(), e);
    }
  }

  /** The rows whose {@code name} is empty, which only the root entry of the root catalog may be. */
  List<RootRow> rowsWithEmptyName() throws IOException {
    List<RootRow> result = new ArrayList<>();
    String sql = "SELECT md5path_1, md5path_2, parent_1, parent_2, flags FROM catalog WHERE name = ''";
    try (Statement statement = connection.createStatement(); ResultSet rows = statement.executeQuery(sql)) {
      while (rows.next()) {
        result.add(new RootRow(rows.getLong(1), rows.getLong(2), rows.getLong(3), rows.getLong(4), rows.getInt(5)));
      }
    } catch (SQLException e) {
      throw new IOException("cannot read catalog rows: " + e.getMessage(), e);
    }
    return result;
  }

  private Set<String> strings(String sql, int column) throws IOException {
    Set<String> result = new LinkedHashSet<>();
    try (Statement statement = connection.createStatement(); ResultSet rows = statement.executeQuery(sql)) {
      while (rows.next()) {
        result.add(rows.getString(column));
      }
    } catch (SQLException e) {
      throw new IOException("cannot run '" + sql + "': " + e.getMessage(), e);
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

  record RootRow(long md5path1, long md5path2, long parent1, long parent2, int flags) {}
}
