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

  /** The columns of a publication row, in the tables of live and of tagged publications. */
  private static final String PUBLICATION_SCHEMA = "path TEXT, catalog TEXT, catalog_size INTEGER NOT NULL,"
      + " permissions INTEGER, mtime INTEGER, uid INTEGER, gid INTEGER, links INTEGER, file TEXT, totals TEXT NOT NULL,"
      + " files INTEGER NOT NULL, bytes INTEGER NOT NULL, revision INTEGER NOT NULL, created_at INTEGER NOT NULL,"
      + " expires_at INTEGER, source TEXT";
  private static final String PUBLICATION_COLUMNS = "path, catalog, catalog_size, permissions, mtime, uid, gid, links,"
      + " file, totals, files, bytes, revision, created_at, expires_at, source";
  private static final String PUBLICATION_PLACEHOLDERS = "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?";

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
        statement.execute("CREATE TABLE IF NOT EXISTS publications (" + PUBLICATION_SCHEMA.replaceFirst("path TEXT",
            "path TEXT PRIMARY KEY") + ")");
        addSourceColumn(statement);
        // A tag keeps the publications of its revision, to roll back to; the history object lists the tags.
        statement.execute("CREATE TABLE IF NOT EXISTS tags (name TEXT PRIMARY KEY, revision INTEGER NOT NULL,"
            + " root_catalog TEXT NOT NULL, catalog_size INTEGER NOT NULL, timestamp INTEGER NOT NULL, description TEXT)");
        statement.execute("CREATE TABLE IF NOT EXISTS tag_publications (tag TEXT NOT NULL, " + PUBLICATION_SCHEMA
            + ", PRIMARY KEY (tag, path))");
        statement.execute("CREATE TABLE IF NOT EXISTS properties (key TEXT PRIMARY KEY, value TEXT)");
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
    try (Statement statement = connection.createStatement();
        ResultSet rows = statement.executeQuery("SELECT " + PUBLICATION_COLUMNS + " FROM publications ORDER BY path")) {
      List<Publication> publications = readPublications(rows);
      connection.commit();
      return publications;
    } catch (SQLException e) {
      throw failure("read publications", e);
    }
  }

  /** The tags, oldest first, each with the publications of its revision. */
  public synchronized List<Tag> tags() throws IOException {
    List<Tag> tags = new ArrayList<>();
    try (Statement statement = connection.createStatement();
        ResultSet row = statement.executeQuery("SELECT name, revision, root_catalog, catalog_size, timestamp, description"
            + " FROM tags ORDER BY timestamp, revision, name");
        PreparedStatement of = connection.prepareStatement("SELECT " + PUBLICATION_COLUMNS
            + " FROM tag_publications WHERE tag = ? ORDER BY path")) {
      while (row.next()) {
        of.setString(1, row.getString(1));
        try (ResultSet publications = of.executeQuery()) {
          tags.add(new Tag(row.getString(1), row.getLong(2), ContentHash.parse(row.getString(3)), row.getLong(4),
              row.getLong(5), row.getString(6), readPublications(publications)));
        }
      }
      connection.commit();
      return tags;
    } catch (SQLException e) {
      throw failure("read tags", e);
    }
  }

  /** The history object listing the tags, if any. */
  public synchronized Optional<ContentHash> history() throws IOException {
    try (Statement statement = connection.createStatement();
        ResultSet row = statement.executeQuery("SELECT value FROM properties WHERE key = 'history'")) {
      Optional<ContentHash> history = row.next() && row.getString(1) != null
          ? Optional.of(ContentHash.parse(row.getString(1))) : Optional.empty();
      connection.commit();
      return history;
    } catch (SQLException e) {
      throw failure("read history", e);
    }
  }

  /**
   * Adds {@code added} (may be null) and removes the tag {@code removed} (may be null), with the
   * history object that lists the tags after the change ({@code null}: no tag is left), atomically.
   */
  public synchronized void changeTags(Tag added, String removed, ContentHash history) throws IOException {
    try {
      if (removed != null) {
        for (String sql : List.of("DELETE FROM tags WHERE name = ?", "DELETE FROM tag_publications WHERE tag = ?")) {
          try (PreparedStatement delete = connection.prepareStatement(sql)) {
            delete.setString(1, removed);
            delete.executeUpdate();
          }
        }
      }
      if (added != null) {
        try (PreparedStatement insert = connection.prepareStatement("INSERT INTO tags (name, revision, root_catalog,"
            + " catalog_size, timestamp, description) VALUES (?, ?, ?, ?, ?, ?)")) {
          insert.setString(1, added.name());
          insert.setLong(2, added.revision());
          insert.setString(3, added.rootCatalog().toString());
          insert.setLong(4, added.catalogSize());
          insert.setLong(5, added.timestamp());
          insert.setString(6, added.description());
          insert.executeUpdate();
        }
        try (PreparedStatement insert = connection.prepareStatement("INSERT INTO tag_publications (tag, "
            + PUBLICATION_COLUMNS + ") VALUES (?, " + PUBLICATION_PLACEHOLDERS + ")")) {
          for (Publication publication : added.publications()) {
            insert.setString(1, added.name());
            bind(insert, 1, publication);
            insert.addBatch();
          }
          insert.executeBatch();
        }
      }
      try (PreparedStatement property = connection.prepareStatement(
          "INSERT OR REPLACE INTO properties (key, value) VALUES ('history', ?)")) {
        property.setString(1, history == null ? null : history.toString());
        property.executeUpdate();
      }
      connection.commit();
    } catch (SQLException e) {
      throw rolledBack("change tags", e);
    }
  }

  private static List<Publication> readPublications(ResultSet row) throws SQLException, IOException {
    List<Publication> publications = new ArrayList<>();
    while (row.next()) {
      String catalog = row.getString(2);
      String file = row.getString(9);
      long expires = row.getLong(15);
      Instant expiresAt = row.wasNull() ? null : Instant.ofEpochMilli(expires);
      publications.add(new Publication(row.getString(1), catalog == null ? null : ContentHash.parse(catalog),
          row.getLong(3),
          catalog == null ? null
              : new Publication.RootMetadata(row.getInt(4), row.getLong(5), row.getInt(6), row.getInt(7), row.getLong(8)),
          file == null ? null : EntryJson.read(file),
          CatalogCounters.fromValues(Arrays.stream(row.getString(10).split(",")).mapToLong(Long::parseLong).toArray()),
          row.getLong(11), row.getLong(12), row.getLong(13), Instant.ofEpochMilli(row.getLong(14)), expiresAt,
          row.getString(16)));
    }
    return publications;
  }

  /** Binds {@code p} to the 16 parameters after {@code offset}, in {@link #PUBLICATION_COLUMNS} order. */
  private static void bind(PreparedStatement insert, int offset, Publication p) throws SQLException {
    insert.setString(offset + 1, p.path());
    insert.setString(offset + 2, p.isFile() ? null : p.catalog().toString());
    insert.setLong(offset + 3, p.catalogSize());
    Publication.RootMetadata root = p.root();
    setNullable(insert, offset + 4, root == null ? null : (long) root.permissions());
    setNullable(insert, offset + 5, root == null ? null : root.mtime());
    setNullable(insert, offset + 6, root == null ? null : (long) root.uid());
    setNullable(insert, offset + 7, root == null ? null : (long) root.gid());
    setNullable(insert, offset + 8, root == null ? null : root.links());
    insert.setString(offset + 9, p.isFile() ? EntryJson.write(p.file()) : null);
    insert.setString(offset + 10, Arrays.stream(p.totals().values()).mapToObj(Long::toString)
        .collect(Collectors.joining(",")));
    insert.setLong(offset + 11, p.files());
    insert.setLong(offset + 12, p.bytes());
    insert.setLong(offset + 13, p.revision());
    insert.setLong(offset + 14, p.createdAt().toEpochMilli());
    setNullable(insert, offset + 15, p.expiresAt() == null ? null : p.expiresAt().toEpochMilli());
    insert.setString(offset + 16, p.source());
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
      try (PreparedStatement insert = connection.prepareStatement("INSERT OR REPLACE INTO publications ("
          + PUBLICATION_COLUMNS + ") VALUES (" + PUBLICATION_PLACEHOLDERS + ")")) {
        for (Publication p : upserts) {
          bind(insert, 0, p);
          insert.addBatch();
        }
        insert.executeBatch();
      }
      connection.commit();
    } catch (SQLException e) {
      throw rolledBack("commit revision " + head.revision(), e);
    }
  }

  private static void setNullable(PreparedStatement statement, int index, Long value) throws SQLException {
    if (value == null) {
      statement.setNull(index, Types.INTEGER);
    } else {
      statement.setLong(index, value);
    }
  }

  /** Undoes the open transaction after {@code e}; the failure to throw. */
  private IOException rolledBack(String what, SQLException e) {
    try {
      connection.rollback();
    } catch (SQLException rollback) {
      e.addSuppressed(rollback);
    }
    return failure(what, e);
  }

  private static IOException failure(String what, SQLException e) {
    return new IOException("state database: cannot " + what + ": " + e.getMessage(), e);
  }

  /** Writes a consistent copy of the database to {@code target}, which must not exist. */
  public synchronized void snapshotTo(Path target) throws IOException {
    // VACUUM cannot run inside a transaction, and with auto-commit off the driver always holds one.
    try {
      connection.setAutoCommit(true);
      try (PreparedStatement vacuum = connection.prepareStatement("VACUUM INTO ?")) {
        vacuum.setString(1, target.toString());
        vacuum.execute();
      } finally {
        connection.setAutoCommit(false);
      }
    } catch (SQLException e) {
      throw failure("copy the state to " + target, e);
    }
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
