package io.ephemeral.cvmfs.dataplane.repository;

import io.ephemeral.cvmfs.common.format.ContentHash;
import io.ephemeral.cvmfs.dataplane.format.CatalogCounters;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The data plane's own record of a repository, in SQLite outside the served tree: the head
 * revision and the live publications. Its transaction is the commit point of every revision;
 * the manifest is derived from it.
 */
public final class StateStore implements AutoCloseable {

  private final Connection connection;

  private StateStore(Connection connection) {
    this.connection = connection;
  }

  public static StateStore open(Path file) throws IOException {
    try {
      Connection connection = DriverManager.getConnection("jdbc:sqlite:" + file);
      try (Statement statement = connection.createStatement()) {
        statement.execute("PRAGMA journal_mode=WAL");
        statement.execute("PRAGMA synchronous=FULL");
        statement.execute("CREATE TABLE IF NOT EXISTS head (id INTEGER PRIMARY KEY CHECK (id = 1), revision INTEGER NOT NULL,"
            + " timestamp INTEGER NOT NULL, root_catalog TEXT NOT NULL, catalog_size INTEGER NOT NULL)");
        // A subtree has a catalog and root metadata; a single file has its catalog row in "file".
        statement.execute("CREATE TABLE IF NOT EXISTS publications (path TEXT PRIMARY KEY, catalog TEXT,"
            + " catalog_size INTEGER NOT NULL, permissions INTEGER, mtime INTEGER, uid INTEGER, gid INTEGER, links INTEGER,"
            + " file TEXT, totals TEXT NOT NULL, files INTEGER NOT NULL, bytes INTEGER NOT NULL, revision INTEGER NOT NULL,"
            + " created_at INTEGER NOT NULL, expires_at INTEGER, source TEXT)");
        addSourceColumn(statement);
        statement.execute("CREATE INDEX IF NOT EXISTS publications_by_source ON publications (source)");
      }
      connection.setAutoCommit(false);
      return new StateStore(connection);
    } catch (SQLException e) {
      throw new IOException("cannot open state database " + file + ": " + e.getMessage(), e);
    }
  }

  /** State written before publications had sources gains the column; every row's source is unknown. */
  private static void addSourceColumn(Statement statement) throws SQLException {
    try (ResultSet columns = statement.executeQuery("PRAGMA table_info(publications)")) {
      while (columns.next()) {
        if (columns.getString("name").equals("source")) {
          return;
        }
      }
    }
    statement.execute("ALTER TABLE publications ADD COLUMN source TEXT");
  }

  public synchronized Optional<Head> head() throws IOException {
    try (Statement statement = connection.createStatement();
        ResultSet row = statement.executeQuery("SELECT revision, timestamp, root_catalog, catalog_size FROM head")) {
      Optional<Head> head = row.next()
          ? Optional.of(new Head(row.getLong(1), row.getLong(2), ContentHash.parse(row.getString(3)), row.getLong(4)))
          : Optional.empty();
      connection.commit();
      return head;
    } catch (SQLException e) {
      throw failure("read head", e);
    }
  }

  public synchronized List<Publication> publications() throws IOException {
    List<Publication> publications = new ArrayList<>();
    try (Statement statement = connection.createStatement();
        ResultSet row = statement.executeQuery("SELECT path, catalog, catalog_size, permissions, mtime, uid, gid, links,"
            + " file, totals, files, bytes, revision, created_at, expires_at, source FROM publications ORDER BY path")) {
      while (row.next()) {
        String catalog = row.getString(2);
        String file = row.getString(9);
        long expires = row.getLong(15);
        Instant expiresAt = row.wasNull() ? null : Instant.ofEpochMilli(expires);
        publications.add(new Publication(row.getString(1), catalog == null ? null : ContentHash.parse(catalog), row.getLong(3),
            catalog == null ? null
                : new Publication.RootMetadata(row.getInt(4), row.getLong(5), row.getInt(6), row.getInt(7), row.getLong(8)),
            file == null ? null : EntryJson.read(file),
            CatalogCounters.fromValues(Arrays.stream(row.getString(10).split(",")).mapToLong(Long::parseLong).toArray()),
            row.getLong(11), row.getLong(12), row.getLong(13), Instant.ofEpochMilli(row.getLong(14)), expiresAt,
            row.getString(16)));
      }
      connection.commit();
    } catch (SQLException e) {
      throw failure("read publications", e);
    }
    return publications;
  }

  /** Records a new head and the publication changes that lead to it, atomically. */
  public synchronized void commit(Head head, Collection<Publication> upserts, Collection<String> removals) throws IOException {
    try {
      try (PreparedStatement update = connection.prepareStatement(
          "INSERT OR REPLACE INTO head (id, revision, timestamp, root_catalog, catalog_size) VALUES (1, ?, ?, ?, ?)")) {
        update.setLong(1, head.revision());
        update.setLong(2, head.timestamp());
        update.setString(3, head.rootCatalog().toString());
        update.setLong(4, head.catalogSize());
        update.executeUpdate();
      }
      try (PreparedStatement delete = connection.prepareStatement("DELETE FROM publications WHERE path = ?")) {
        for (String path : removals) {
          delete.setString(1, path);
          delete.addBatch();
        }
        delete.executeBatch();
      }
      try (PreparedStatement insert = connection.prepareStatement("INSERT OR REPLACE INTO publications (path, catalog,"
          + " catalog_size, permissions, mtime, uid, gid, links, file, totals, files, bytes, revision, created_at, expires_at,"
          + " source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
        for (Publication p : upserts) {
          insert.setString(1, p.path());
          insert.setString(2, p.isFile() ? null : p.catalog().toString());
          insert.setLong(3, p.catalogSize());
          Publication.RootMetadata root = p.root();
          setNullable(insert, 4, root == null ? null : (long) root.permissions());
          setNullable(insert, 5, root == null ? null : root.mtime());
          setNullable(insert, 6, root == null ? null : (long) root.uid());
          setNullable(insert, 7, root == null ? null : (long) root.gid());
          setNullable(insert, 8, root == null ? null : root.links());
          insert.setString(9, p.isFile() ? EntryJson.write(p.file()) : null);
          insert.setString(10, Arrays.stream(p.totals().values()).mapToObj(Long::toString).collect(Collectors.joining(",")));
          insert.setLong(11, p.files());
          insert.setLong(12, p.bytes());
          insert.setLong(13, p.revision());
          insert.setLong(14, p.createdAt().toEpochMilli());
          setNullable(insert, 15, p.expiresAt() == null ? null : p.expiresAt().toEpochMilli());
          insert.setString(16, p.source());
          insert.addBatch();
        }
        insert.executeBatch();
      }
      connection.commit();
    } catch (SQLException e) {
      try {
        connection.rollback();
      } catch (SQLException rollback) {
        e.addSuppressed(rollback);
      }
      throw failure("commit revision " + head.revision(), e);
    }
  }

  private static void setNullable(PreparedStatement statement, int index, Long value) throws SQLException {
    if (value == null) {
      statement.setNull(index, Types.INTEGER);
    } else {
      statement.setLong(index, value);
    }
  }

  private static IOException failure(String what, SQLException e) {
    return new IOException("state database: cannot " + what + ": " + e.getMessage(), e);
  }

  @Override
  public synchronized void close() throws IOException {
    try {
      connection.close();
    } catch (SQLException e) {
      throw failure("close", e);
    }
  }
}
