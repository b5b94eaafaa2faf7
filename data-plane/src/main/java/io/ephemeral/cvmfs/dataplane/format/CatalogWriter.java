package io.ephemeral.cvmfs.dataplane.format;

import io.ephemeral.cvmfs.common.format.ContentHash;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes one file catalog: a SQLite database in the schema 2.5 revision 7 layout the client
 * expects (format.md 7.2), filled in one transaction and closed cleanly in rollback-journal mode,
 * ready to be compressed into a {@code C} object. It starts either empty ({@link #create}) or
 * as a copy of a finished catalog whose rows it changes ({@link #edit}).
 */
public final class CatalogWriter implements AutoCloseable {

  public static final String SCHEMA = "2.5";
  public static final String SCHEMA_REVISION = "7";

  private static final List<String> DDL = List.of(
      "CREATE TABLE properties (key TEXT, value TEXT, CONSTRAINT pk_properties PRIMARY KEY (key))",
      "CREATE TABLE catalog (md5path_1 INTEGER, md5path_2 INTEGER, parent_1 INTEGER, parent_2 INTEGER,"
          + " hardlinks INTEGER, hash BLOB, size INTEGER, mode INTEGER, mtime INTEGER, mtimens INTEGER,"
          + " flags INTEGER, name TEXT, symlink TEXT, uid INTEGER, gid INTEGER, xattr BLOB,"
          + " CONSTRAINT pk_catalog PRIMARY KEY (md5path_1, md5path_2))",
      "CREATE INDEX idx_catalog_parent ON catalog (parent_1, parent_2)",
      "CREATE TABLE chunks (md5path_1 INTEGER, md5path_2 INTEGER, offset INTEGER, size INTEGER, hash BLOB,"
          + " CONSTRAINT pk_chunks PRIMARY KEY (md5path_1, md5path_2, offset, size),"
          + " FOREIGN KEY (md5path_1, md5path_2) REFERENCES catalog(md5path_1, md5path_2))",
      "CREATE TABLE nested_catalogs (path TEXT, sha1 TEXT, size INTEGER,"
          + " CONSTRAINT pk_nested_catalogs PRIMARY KEY (path))",
      "CREATE TABLE bind_mountpoints (path TEXT, sha1 TEXT, size INTEGER,"
          + " CONSTRAINT pk_bind_mountpoints PRIMARY KEY (path))",
      "CREATE TABLE statistics (counter TEXT, value INTEGER, CONSTRAINT pk_statistics PRIMARY KEY (counter))");

  private static final int BATCH = 4096;

  private static volatile byte[] emptyDatabase;

  private final Path file;
  private final Connection connection;
  private final PreparedStatement insertEntry;
  private final PreparedStatement insertChunk;
  private final PreparedStatement insertNested;
  private final PreparedStatement deleteEntry;
  private final PreparedStatement deleteChunks;
  private final PreparedStatement deleteNested;
  private CatalogCounters self = CatalogCounters.ZERO;
  private long nested;
  private int pending;

  private CatalogWriter(Path file) throws SQLException {
    this.file = file;
    this.connection = open(file);
    connection.setAutoCommit(false);
    insertEntry = connection.prepareStatement("INSERT INTO catalog (md5path_1, md5path_2, parent_1, parent_2, hardlinks,"
        + " hash, size, mode, mtime, mtimens, flags, name, symlink, uid, gid, xattr)"
        + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?, ?, ?, NULL)");
    insertChunk = connection.prepareStatement("INSERT INTO chunks (md5path_1, md5path_2, offset, size, hash) VALUES (?, ?, ?, ?, ?)");
    insertNested = connection.prepareStatement("INSERT INTO nested_catalogs (path, sha1, size) VALUES (?, ?, ?)");
    deleteEntry = connection.prepareStatement("DELETE FROM catalog WHERE md5path_1 = ? AND md5path_2 = ?");
    deleteChunks = connection.prepareStatement("DELETE FROM chunks WHERE md5path_1 = ? AND md5path_2 = ?");
    deleteNested = connection.prepareStatement("DELETE FROM nested_catalogs WHERE path = ?");
  }

  private static Connection open(Path file) throws SQLException {
    Connection connection = DriverManager.getConnection("jdbc:sqlite:" + file);
    try (Statement statement = connection.createStatement()) {
      // The file is discarded if anything fails, so durability during the build buys nothing.
      statement.execute("PRAGMA journal_mode=OFF");
      statement.execute("PRAGMA synchronous=OFF");
    } catch (SQLException e) {
      connection.close();
      throw e;
    }
    return connection;
  }

  /**
   * The bytes of a database holding the schema and no rows. Running the DDL costs more than
   * the rows of a small catalog, and a publication makes at least two catalogs, so every
   * catalog starts as a copy of these bytes, made once per process.
   */
  private static byte[] emptyDatabase(Path directory) throws SQLException, IOException {
    byte[] bytes = emptyDatabase;
    if (bytes != null) {
      return bytes;
    }
    Path scratch = Files.createTempFile(directory, "schema-", ".db");
    try {
      try (Connection connection = open(scratch); Statement statement = connection.createStatement()) {
        for (String ddl : DDL) {
          statement.execute(ddl);
        }
      }
      bytes = Files.readAllBytes(scratch);
    } finally {
      Files.deleteIfExists(scratch);
    }
    emptyDatabase = bytes;
    return bytes;
  }

  /** Starts a catalog in {@code file}, which must not exist yet. */
  public static CatalogWriter create(Path file) throws IOException {
    try {
      Files.write(file, emptyDatabase(file.toAbsolutePath().getParent()), StandardOpenOption.CREATE_NEW);
    } catch (FileAlreadyExistsException e) {
      throw new IOException("catalog file exists already: " + file, e);
    } catch (SQLException e) {
      throw new IOException("cannot create the catalog schema: " + e.getMessage(), e);
    }
    try {
      return new CatalogWriter(file);
    } catch (SQLException e) {
      throw new IOException("cannot create catalog " + file + ": " + e.getMessage(), e);
    }
  }

  /**
   * Opens {@code file}, a copy of a catalog this class finished, to change its rows. Its
   * {@code self} counters carry on from the stored ones; {@link #finish} replaces its properties
   * and statistics.
   */
  public static CatalogWriter edit(Path file) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new IOException("no catalog to edit at " + file);
    }
    CatalogCounters stored;
    try (CatalogReader reader = CatalogReader.open(file)) {
      stored = CatalogCounters.fromStatistics(reader.statistics(), "self_");
    }
    CatalogWriter writer;
    try {
      writer = new CatalogWriter(file);
    } catch (SQLException e) {
      throw new IOException("cannot open catalog " + file + ": " + e.getMessage(), e);
    }
    writer.self = stored;
    writer.nested = stored.nested();
    return writer;
  }

  /**
   * Adds a row. The root entry of the root catalog gets parent 0/0 ({@code isRootOfRepository}),
   * every other row the hash of its parent directory's path.
   */
  public void add(DirectoryEntry entry) throws IOException {
    PathHash key = PathHash.of(entry.path());
    PathHash parent = entry.parentPath() == null ? PathHash.NONE : PathHash.of(entry.parentPath());
    try {
      insertEntry.setLong(1, key.high());
      insertEntry.setLong(2, key.low());
      insertEntry.setLong(3, parent.high());
      insertEntry.setLong(4, parent.low());
      insertEntry.setLong(5, entry.hardlinks());
      if (entry.hash() == null) {
        insertEntry.setNull(6, Types.BLOB);
      } else {
        insertEntry.setBytes(6, entry.hash().digest());
      }
      insertEntry.setLong(7, entry.size());
      insertEntry.setInt(8, entry.mode());
      insertEntry.setLong(9, entry.mtime());
      insertEntry.setInt(10, entry.flags());
      insertEntry.setString(11, entry.name());
      insertEntry.setString(12, entry.symlink());
      insertEntry.setInt(13, entry.uid());
      insertEntry.setInt(14, entry.gid());
      insertEntry.addBatch();
      // The chunks' foreign key names the file row: flush rows before their chunks.
      if (!entry.chunks().isEmpty()) {
        insertEntry.executeBatch();
        for (Chunk chunk : entry.chunks()) {
          insertChunk.setLong(1, key.high());
          insertChunk.setLong(2, key.low());
          insertChunk.setLong(3, chunk.offset());
          insertChunk.setLong(4, chunk.size());
          insertChunk.setBytes(5, chunk.hash().digest());
          insertChunk.addBatch();
        }
        insertChunk.executeBatch();
      } else if (++pending >= BATCH) {
        insertEntry.executeBatch();
        pending = 0;
      }
    } catch (SQLException e) {
      throw new IOException("cannot add " + (entry.path().isEmpty() ? "/" : entry.path()) + " to catalog: " + e.getMessage(), e);
    }
    self = self.plus(entry);
  }

  /** Removes the row of {@code entry}, as it was added, with its chunks. */
  public void remove(DirectoryEntry entry) throws IOException {
    PathHash key = PathHash.of(entry.path());
    try {
      // A row still waiting in the batch would otherwise be inserted after its removal.
      flushPending();
      deleteChunks.setLong(1, key.high());
      deleteChunks.setLong(2, key.low());
      deleteChunks.executeUpdate();
      deleteEntry.setLong(1, key.high());
      deleteEntry.setLong(2, key.low());
      if (deleteEntry.executeUpdate() != 1) {
        throw new IOException("catalog " + file + " has no row for " + entry.path());
      }
    } catch (SQLException e) {
      throw new IOException("cannot remove " + entry.path() + " from catalog: " + e.getMessage(), e);
    }
    self = self.minus(entry);
  }

  /** Detaches the nested catalog at {@code path}; its mountpoint row goes through {@link #remove}. */
  public void removeNestedCatalog(String path) throws IOException {
    try {
      flushPending();
      deleteNested.setString(1, path);
      if (deleteNested.executeUpdate() != 1) {
        throw new IOException("catalog " + file + " has no nested catalog at " + path);
      }
    } catch (SQLException e) {
      throw new IOException("cannot remove nested catalog " + path + ": " + e.getMessage(), e);
    }
    nested--;
  }

  private void flushPending() throws SQLException {
    insertEntry.executeBatch();
    insertNested.executeBatch();
    pending = 0;
  }

  /**
   * The share of the database's pages that hold nothing: rows removed by edits leave free pages,
   * which still hold their old bytes and travel with every copy until the catalog is rebuilt.
   */
  public double freePageShare() throws IOException {
    try {
      return pragma("freelist_count") / (double) Math.max(1, pragma("page_count"));
    } catch (SQLException e) {
      throw new IOException("cannot read the page counts of catalog " + file + ": " + e.getMessage(), e);
    }
  }

  private long pragma(String name) throws SQLException {
    try (Statement statement = connection.createStatement(); ResultSet value = statement.executeQuery("PRAGMA " + name)) {
      return value.getLong(1);
    }
  }

  /** Attaches a nested catalog at {@code path}; its mountpoint row must be added too. */
  public void addNestedCatalog(String path, ContentHash hash, long uncompressedSize) throws IOException {
    try {
      insertNested.setString(1, path);
      insertNested.setString(2, hash.toString());
      insertNested.setLong(3, uncompressedSize);
      insertNested.addBatch();
    } catch (SQLException e) {
      throw new IOException("cannot add nested catalog " + path + ": " + e.getMessage(), e);
    }
    nested++;
  }

  /** The {@code self} counters of the rows added so far. */
  public CatalogCounters selfCounters() {
    return self.withNested(nested);
  }

  /**
   * Writes properties and statistics, commits and closes the database.
   *
   * @param properties written after {@code schema} and {@code schema_revision}, in order
   * @param subtree the {@code subtree} counters: the totals of all catalogs below this one
   * @return the finished catalog file
   */
  public Path finish(Map<String, String> properties, CatalogCounters subtree) throws IOException {
    Map<String, String> all = new LinkedHashMap<>();
    all.put("schema", SCHEMA);
    all.put("schema_revision", SCHEMA_REVISION);
    all.putAll(properties);
    try {
      flushPending();
      try (Statement statement = connection.createStatement()) {
        statement.execute("DELETE FROM properties");
        statement.execute("DELETE FROM statistics");
      }
      try (PreparedStatement property = connection.prepareStatement("INSERT INTO properties (key, value) VALUES (?, ?)")) {
        for (Map.Entry<String, String> entry : all.entrySet()) {
          property.setString(1, entry.getKey());
          property.setString(2, entry.getValue());
          property.addBatch();
        }
        property.executeBatch();
      }
      try (PreparedStatement counter = connection.prepareStatement("INSERT INTO statistics (counter, value) VALUES (?, ?)")) {
        addCounters(counter, "self_", selfCounters());
        addCounters(counter, "subtree_", subtree);
        counter.executeBatch();
      }
      connection.commit();
    } catch (SQLException e) {
      throw new IOException("cannot finish catalog " + file + ": " + e.getMessage(), e);
    } finally {
      close();
    }
    return file;
  }

  private static void addCounters(PreparedStatement counter, String prefix, CatalogCounters counters) throws SQLException {
    long[] values = counters.values();
    for (int i = 0; i < values.length; i++) {
      counter.setString(1, prefix + CatalogCounters.NAMES.get(i));
      counter.setLong(2, values[i]);
      counter.addBatch();
    }
  }

  @Override
  public void close() {
    try {
      connection.close();
    } catch (SQLException e) {
      // Nothing more can be done about a failing close; the caller discards or has committed the file.
    }
  }
}
