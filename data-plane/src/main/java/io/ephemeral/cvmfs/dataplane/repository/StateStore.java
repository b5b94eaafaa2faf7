package io.ephemeral.cvmfs.dataplane.repository;

import io.ephemeral.cvmfs.dataplane.format.CatalogCounters;
import io.ephemeral.cvmfs.dataplane.format.ContentHash;
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
        statement.execute("CREATE TABLE IF NOT EXISTS publications (path TEXT PRIMARY KEY, catalog TEXT NOT NULL,"
            + " catalog_size INTEGER NOT NULL, permissions INTEGER NOT NULL, mtime INTEGER NOT NULL, uid INTEGER NOT NULL,"
            + " gid INTEGER NOT NULL, links INTEGER NOT NULL, totals TEXT NOT NULL, files INTEGER NOT NULL,"
            + " bytes INTEGER NOT NULL, revision INTEGER NOT NULL, created_at INTEGER NOT NULL, expires_at INTEGER)");
      }
      connection.setAutoCommit(false);
      return new StateStore(connection);
    } catch (SQLException e) {
      throw new IOException("cannot open state database " + file + ": " + e.getMessage(), e);
    }
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
            + " totals, files, bytes, revision, created_at, expires_at FROM publications ORDER BY path")) {
      while (row.next()) {
        long expires = row.getLong(14);
        publications.add(new Publication(row.getString(1), ContentHash.parse(row.getString(2)), row.getLong(3),
            new Publication.RootMetadata(row.getInt(4), row.getLong(5), row.getInt(6), row.getInt(7), row.getLong(8)),
            CatalogCounters.fromValues(Arrays.stream(row.getString(9).split(",")).mapToLong(Long::parseLong).toArray()),
            row.getLong(10), row.getLong(11), row.getLong(12), Instant.ofEpochMilli(row.getLong(13)),
            row.wasNull() ? null : Instant.ofEpochMilli(expires)));
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
          + " catalog_size, permissions, mtime, uid, gid, links, totals, files, bytes, revision, created_at, expires_at)"
          + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
        for (Publication p : upserts) {
          insert.setString(1, p.path());
          insert.setString(2, p.catalog().toString());
          insert.setLong(3, p.catalogSize());
          insert.setInt(4, p.root().permissions());
          insert.setLong(5, p.root().mtime());
          insert.setInt(6, p.root().uid());
          insert.setInt(7, p.root().gid());
          insert.setLong(8, p.root().links());
          insert.setString(9, Arrays.stream(p.totals().values()).mapToObj(Long::toString).collect(Collectors.joining(",")));
          insert.setLong(10, p.files());
          insert.setLong(11, p.bytes());
          insert.setLong(12, p.revision());
          insert.setLong(13, p.createdAt().toEpochMilli());
          if (p.expiresAt() == null) {
            insert.setNull(14, Types.INTEGER);
          } else {
            insert.setLong(14, p.expiresAt().toEpochMilli());
          }
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
