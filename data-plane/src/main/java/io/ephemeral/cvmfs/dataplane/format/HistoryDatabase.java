package io.ephemeral.cvmfs.dataplane.format;

import io.ephemeral.cvmfs.common.format.ContentHash;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/**
 * The history database (format.md 9.1): the named tags of a repository, each a root catalog, in
 * the SQLite layout of history schema 1.0 revision 3 that the client reads to mount a tag
 * ({@code CVMFS_REPOSITORY_TAG}) and {@code cvmfs_server} keeps. The manifest names it ({@code H}).
 */
public final class HistoryDatabase {

  /** One row of {@code tags}: a name for a root catalog of a revision. */
  public record Row(String name, ContentHash rootCatalog, long revision, long timestampSeconds, String description,
      long catalogSize) {}

  private HistoryDatabase() {}

  /** Writes a new database at {@code file} (which must not exist) holding {@code tags}. */
  public static void write(Path file, String fqrn, List<Row> tags) throws IOException {
    try (Connection connection = DriverManager.getConnection("jdbc:sqlite:" + file)) {
      try (Statement statement = connection.createStatement()) {
        // A plain file: what is uploaded is the closed database, no journal beside it.
        statement.execute("PRAGMA journal_mode=DELETE");
        statement.execute("PRAGMA foreign_keys=ON");
        statement.execute("CREATE TABLE properties (key TEXT, value TEXT, CONSTRAINT pk_properties PRIMARY KEY (key))");
        statement.execute("CREATE TABLE branches (branch TEXT, parent TEXT, initial_revision INTEGER,"
            + "  CONSTRAINT pk_branch PRIMARY KEY (branch), FOREIGN KEY (parent) REFERENCES branches (branch),"
            + "  CHECK ((branch <> '') OR (parent IS NULL)), CHECK ((branch = '') OR (parent IS NOT NULL)))");
        statement.execute("INSERT INTO branches (branch, parent, initial_revision) VALUES ('', NULL, 0)");
        statement.execute("CREATE TABLE tags (name TEXT, hash TEXT, revision INTEGER, timestamp INTEGER,"
            + "  channel INTEGER, description TEXT, size INTEGER, branch TEXT, CONSTRAINT pk_tags PRIMARY KEY (name),"
            + "  FOREIGN KEY (branch) REFERENCES branches (branch))");
        statement.execute("CREATE TABLE recycle_bin (hash TEXT, flags INTEGER, CONSTRAINT pk_hash PRIMARY KEY (hash))");
      }
      try (PreparedStatement property = connection.prepareStatement("INSERT INTO properties (key, value) VALUES (?, ?)")) {
        // The schema as a number and its revision as an integer, as the upstream tools store them.
        property.setString(1, "schema");
        property.setDouble(2, 1.0);
        property.executeUpdate();
        property.setString(1, "schema_revision");
        property.setInt(2, 3);
        property.executeUpdate();
        property.setString(1, "fqrn");
        property.setString(2, fqrn);
        property.executeUpdate();
      }
      try (PreparedStatement insert = connection.prepareStatement("INSERT INTO tags (name, hash, revision, timestamp,"
          + " channel, description, size, branch) VALUES (?, ?, ?, ?, 0, ?, ?, '')")) {
        for (Row tag : tags) {
          insert.setString(1, tag.name());
          insert.setString(2, tag.rootCatalog().toString());
          insert.setLong(3, tag.revision());
          insert.setLong(4, tag.timestampSeconds());
          insert.setString(5, tag.description() == null ? "" : tag.description());
          insert.setLong(6, tag.catalogSize());
          insert.executeUpdate();
        }
      }
    } catch (SQLException e) {
      throw new IOException("cannot write history database " + file + ": " + e.getMessage(), e);
    }
  }
}
