package io.ephemeral.cvmfs.dataplane.format;

import io.ephemeral.cvmfs.common.format.ContentHash;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * The reference log (format.md 9.2): every root catalog and certificate a repository has referenced,
 * in the SQLite layout {@code cvmfs_server gc} and {@code check} read. Kept in rollback-journal
 * mode so that a plain copy of the closed file is a valid {@code .cvmfsreflog}.
 */
public final class Reflog implements AutoCloseable {

  /** The {@code type} column values. */
  public enum RefType { CATALOG, CERTIFICATE, HISTORY, METAINFO }

  private final Connection connection;
  private final PreparedStatement insert;

  private Reflog(Connection connection) throws SQLException {
    this.connection = connection;
    this.insert = connection.prepareStatement("INSERT OR IGNORE INTO refs (hash, type, timestamp) VALUES (?, ?, ?)");
  }

  public static Reflog open(Path file, String fqrn) throws IOException {
    try {
      Connection connection = DriverManager.getConnection("jdbc:sqlite:" + file);
      try (Statement statement = connection.createStatement()) {
        statement.execute("PRAGMA journal_mode=DELETE");
        // The served copy is written atomically and synced; this working copy need not be.
        statement.execute("PRAGMA synchronous=OFF");
        statement.execute("CREATE TABLE IF NOT EXISTS properties (key TEXT, value TEXT, CONSTRAINT pk_properties PRIMARY KEY (key))");
        statement.execute("CREATE TABLE IF NOT EXISTS refs (hash TEXT, type INTEGER, timestamp INTEGER, CONSTRAINT pk_refs PRIMARY KEY (hash))");
        statement.execute("INSERT OR IGNORE INTO properties (key, value) VALUES ('schema', '1.0')");
        statement.execute("INSERT OR IGNORE INTO properties (key, value) VALUES ('schema_revision', '0')");
      }
      try (PreparedStatement name = connection.prepareStatement("INSERT OR IGNORE INTO properties (key, value) VALUES ('fqrn', ?)")) {
        name.setString(1, fqrn);
        name.executeUpdate();
      }
      return new Reflog(connection);
    } catch (SQLException e) {
      throw new IOException("cannot open reflog " + file + ": " + e.getMessage(), e);
    }
  }

  /** One row of {@code refs}: an object and the Unix time it was recorded. */
  public record Entry(ContentHash hash, long timestampSeconds) {}

  /** The rows of one type, oldest first; rows of the same second in the order they were added. */
  public List<Entry> entries(RefType type) throws IOException {
    List<Entry> entries = new ArrayList<>();
    try (PreparedStatement query = connection.prepareStatement(
        "SELECT hash, timestamp FROM refs WHERE type = ? ORDER BY timestamp, rowid")) {
      query.setInt(1, type.ordinal());
      try (ResultSet rows = query.executeQuery()) {
        while (rows.next()) {
          entries.add(new Entry(ContentHash.parse(rows.getString(1)), rows.getLong(2)));
        }
      }
    } catch (SQLException e) {
      throw new IOException("cannot read reflog: " + e.getMessage(), e);
    }
    return entries;
  }

  /** Removes the rows of {@code hashes}, all or none. */
  public void remove(Collection<ContentHash> hashes) throws IOException {
    try {
      connection.setAutoCommit(false);
      try (PreparedStatement delete = connection.prepareStatement("DELETE FROM refs WHERE hash = ?")) {
        for (ContentHash hash : hashes) {
          delete.setString(1, hash.toString());
          delete.addBatch();
        }
        delete.executeBatch();
        connection.commit();
      } catch (SQLException e) {
        connection.rollback();
        throw e;
      } finally {
        connection.setAutoCommit(true);
      }
    } catch (SQLException e) {
      throw new IOException("cannot remove from reflog: " + e.getMessage(), e);
    }
  }

  public void add(ContentHash hash, RefType type, long timestampSeconds) throws IOException {
    try {
      insert.setString(1, hash.toString());
      insert.setInt(2, type.ordinal());
      insert.setLong(3, timestampSeconds);
      insert.executeUpdate();
    } catch (SQLException e) {
      throw new IOException("cannot add " + hash + " to reflog: " + e.getMessage(), e);
    }
  }

  @Override
  public void close() throws IOException {
    try {
      connection.close();
    } catch (SQLException e) {
      throw new IOException("cannot close reflog: " + e.getMessage(), e);
    }
  }
}
