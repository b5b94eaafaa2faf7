package io.ephemeral.cvmfs.dataplane.repository;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.ephemeral.cvmfs.common.format.ContentHash;
import io.ephemeral.cvmfs.common.format.HashAlgorithm;
import io.ephemeral.cvmfs.dataplane.format.CatalogCounters;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A state database written before publications recorded their source opens, keeps its rows, and records sources from then on. */
class StateStoreSourceColumnTest {

  @TempDir
  Path temp;

  @Test
  void anEarlierStateDatabaseGainsTheSourceColumn() throws Exception {
    Path file = temp.resolve("state.db");
    String catalog = new ContentHash(HashAlgorithm.SHA1, new byte[20]).toString();
    try (Connection connection = DriverManager.getConnection("jdbc:sqlite:" + file);
        Statement statement = connection.createStatement()) {
      // The schema as it was, with one live publication.
      statement.execute("CREATE TABLE publications (path TEXT PRIMARY KEY, catalog TEXT,"
          + " catalog_size INTEGER NOT NULL, permissions INTEGER, mtime INTEGER, uid INTEGER, gid INTEGER, links INTEGER,"
          + " file TEXT, totals TEXT NOT NULL, files INTEGER NOT NULL, bytes INTEGER NOT NULL, revision INTEGER NOT NULL,"
          + " created_at INTEGER NOT NULL, expires_at INTEGER)");
      statement.execute("INSERT INTO publications VALUES ('/old', '" + catalog + "', 100, 493, 0, 0, 0, 2, NULL, '"
          + zeros() + "', 1, 5, 3, 1000, NULL)");
    }

    try (StateStore store = StateStore.open(file)) {
      Publication old = store.publications().get(0);
      assertEquals("/old", old.path());
      assertNull(old.source());
      Publication copy = new Publication("/new", old.catalog(), old.catalogSize(), old.root(), null, old.totals(), 1, 5,
          4, Instant.ofEpochMilli(2000), null, "sha256:" + "ab".repeat(32));
      store.commit(new Head(4, 2, old.catalog(), 100), List.of(copy), List.of());
    }
    try (StateStore store = StateStore.open(file)) {
      assertEquals("sha256:" + "ab".repeat(32), store.publications().get(0).source());
      assertNull(store.publications().get(1).source());
    }
  }

  private static String zeros() {
    return String.join(",", java.util.Collections.nCopies(CatalogCounters.ZERO.values().length, "0"));
  }
}
