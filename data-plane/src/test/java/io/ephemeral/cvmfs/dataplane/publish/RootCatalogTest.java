package io.ephemeral.cvmfs.dataplane.publish;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ephemeral.cvmfs.common.format.ContentHash;
import io.ephemeral.cvmfs.common.format.HashAlgorithm;
import io.ephemeral.cvmfs.common.format.ObjectKind;
import io.ephemeral.cvmfs.dataplane.format.CatalogCounters;
import io.ephemeral.cvmfs.dataplane.format.Chunk;
import io.ephemeral.cvmfs.dataplane.format.Compression;
import io.ephemeral.cvmfs.dataplane.format.DirectoryEntry;
import io.ephemeral.cvmfs.dataplane.repository.DataLayout;
import io.ephemeral.cvmfs.dataplane.repository.Head;
import io.ephemeral.cvmfs.dataplane.repository.Publication;
import io.ephemeral.cvmfs.dataplane.repository.Repository;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.zip.InflaterInputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A root catalog changed revision by revision holds exactly the rows of one built afresh. */
class RootCatalogTest {

  private static final String FQRN = "root.example.org";
  private static final List<String> TABLES = List.of("catalog", "chunks", "nested_catalogs", "properties", "statistics");

  @TempDir
  Path temp;

  private final Map<String, Publication> live = new TreeMap<>();
  private Repository edited;
  private Repository fresh;
  private RootCatalog root;

  @BeforeEach
  void open() throws IOException {
    edited = Repository.at(new DataLayout(temp.resolve("edited")), FQRN).open();
    fresh = Repository.at(new DataLayout(temp.resolve("fresh")), FQRN).open();
    root = new RootCatalog(edited);
  }

  @AfterEach
  void close() throws IOException {
    edited.close();
    fresh.close();
  }

  @Test
  void editedCatalogsMatchFreshOnesThroughAddsChangesAndRemovals() throws Exception {
    Random random = new Random(7);
    publish(random, 20, 0);
    int editedBuilds = 0;
    ContentHash previous = null;
    for (int revision = 1; revision <= 40; revision++) {
      // Every tenth revision removes nearly everything, which must rebuild rather than edit.
      if (revision % 10 == 0) {
        List<String> paths = new ArrayList<>(live.keySet());
        paths.subList(0, Math.max(0, paths.size() - 1)).forEach(live::remove);
      } else if (revision % 10 == 1) {
        publish(random, 20, revision);
      } else {
        publish(random, 1 + random.nextInt(4), revision);
        List<String> paths = new ArrayList<>(live.keySet());
        if (paths.size() > 3) {
          live.remove(paths.get(random.nextInt(paths.size())));
        }
      }
      Head head = buildBoth(revision, previous);
      editedBuilds += root.lastBuildEdited() ? 1 : 0;
      if (revision % 10 == 0) {
        assertFalse(root.lastBuildEdited(), "revision " + revision + " changed most rows and was built afresh");
      }
      previous = head.rootCatalog();
    }
    assertTrue(editedBuilds >= 25, "most revisions were edits of the one before: " + editedBuilds);
  }

  @Test
  void aKeptDatabaseThatIsGoneOrDamagedMeansBuildingAfresh() throws Exception {
    Random random = new Random(11);
    publish(random, 12, 1);
    root.build(live.values(), 1, 1_700_000_001L, null);
    Files.delete(edited.lastRootCatalog());
    assertRebuiltAfresh(random, 2);
    Files.write(edited.lastRootCatalog(), "not a database".getBytes(StandardCharsets.US_ASCII));
    assertRebuiltAfresh(random, 3);
    // A database that lost a row the edit means to remove.
    try (Connection connection = DriverManager.getConnection("jdbc:sqlite:" + edited.lastRootCatalog());
        Statement statement = connection.createStatement()) {
      statement.execute("DELETE FROM catalog");
    }
    assertRebuiltAfresh(random, 4);
    publish(random, 1, 5);
    root.build(live.values(), 5, 1_700_000_005L, null);
    assertTrue(root.lastBuildEdited(), "once kept again, the database is edited");
  }

  @Test
  void removalsThatLeaveManyPagesFreeMeanBuildingAfresh() throws Exception {
    Random random = new Random(5);
    for (int i = 0; i < 400; i++) {
      String path = "/team" + i % 4 + "/p" + i;
      live.put(path, publication(random, 1, path));
    }
    root.build(live.values(), 1, 1_700_000_001L, null);
    int edits = 0;
    long editedSize = 0;
    for (int revision = 2; revision <= 20 && (revision == 2 || root.lastBuildEdited()); revision++) {
      editedSize = Files.size(edited.lastRootCatalog());
      // A fifth of what is left goes each time: never most rows at once, so only free pages end the edits.
      List<String> paths = new ArrayList<>(live.keySet());
      paths.subList(0, paths.size() / 5).forEach(live::remove);
      buildBoth(revision, null);
      edits += root.lastBuildEdited() ? 1 : 0;
    }
    assertFalse(root.lastBuildEdited(), "a catalog with a quarter of its pages free was built afresh");
    assertTrue(edits >= 1, "the first removals were edits: " + edits);
    long compact = Files.size(fresh.lastRootCatalog());
    assertTrue(editedSize > compact, "the last edited catalog held free pages: " + editedSize + " > " + compact);
    assertEquals(compact, Files.size(edited.lastRootCatalog()), "built afresh, it is as small as a fresh one");
  }

  private void assertRebuiltAfresh(Random random, long revision) throws Exception {
    publish(random, 1, revision);
    buildBoth(revision, null);
    assertFalse(root.lastBuildEdited(), "revision " + revision + " built afresh");
  }

  /**
   * Builds the root of {@code revision} from the live publications, by the catalog under test
   * and afresh in the other repository, and checks that both hold the same rows.
   */
  private Head buildBoth(long revision, ContentHash previous) throws Exception {
    long timestamp = 1_700_000_000L + revision;
    Head head = root.build(live.values(), revision, timestamp, previous);
    Head reference = new RootCatalog(fresh).build(live.values(), revision, timestamp, previous);
    assertEquals(rows(fresh, reference), rows(edited, head), "root catalog of revision " + revision);
    return head;
  }

  /** Adds or replaces {@code count} random publications. */
  private void publish(Random random, int count, long revision) {
    for (int i = 0; i < count; i++) {
      Publication publication = publication(random, revision);
      live.put(publication.path(), publication);
    }
  }

  /** A subtree or a single file (a third of them chunked) somewhere up to three levels down. */
  private static Publication publication(Random random, long revision) {
    return publication(random, revision, switch (random.nextInt(3)) {
      case 0 -> "/p" + random.nextInt(40);
      case 1 -> "/team" + random.nextInt(3) + "/p" + random.nextInt(40);
      default -> "/team" + random.nextInt(3) + "/branch" + random.nextInt(2) + "/p" + random.nextInt(40);
    });
  }

  private static Publication publication(Random random, long revision, String path) {
    byte[] digest = new byte[20];
    random.nextBytes(digest);
    ContentHash hash = new ContentHash(HashAlgorithm.SHA1, digest);
    Instant created = Instant.ofEpochSecond(1_700_000_000L);
    if (random.nextInt(3) > 0) {
      CatalogCounters totals = CatalogCounters.ZERO.plus(DirectoryEntry.directory(path, 0755, 1, 0, 0, 2, 0));
      return new Publication(path, hash, 4096 + random.nextInt(1000),
          new Publication.RootMetadata(0755, random.nextInt(1000), 0, 0, 2), null, totals, 1, 10, revision, created, null, null);
    }
    List<Chunk> chunks = random.nextBoolean()
        ? List.of(new Chunk(0, 100, hash), new Chunk(100, 50, hash))
        : List.of();
    DirectoryEntry file = DirectoryEntry.regular(path, 0644, 150, random.nextInt(1000), 0, 0, HashAlgorithm.SHA1,
        Compression.ZLIB, chunks.isEmpty() ? hash : null, chunks);
    return new Publication(path, null, 0, null, file, CatalogCounters.ZERO.plus(file), 1, 150, revision, created, null, null);
  }

  /** Every row of every table of the stored catalog, in a fixed order. */
  private static Map<String, List<String>> rows(Repository repository, Head head) throws IOException, SQLException {
    Path plain = Files.createTempFile(repository.scratch(), "check-", ".db");
    try {
      try (InputStream in = new InflaterInputStream(Files.newInputStream(
          repository.served().resolve(head.rootCatalog().objectPath(ObjectKind.CATALOG))))) {
        Files.copy(in, plain, StandardCopyOption.REPLACE_EXISTING);
      }
      Map<String, List<String>> tables = new TreeMap<>();
      try (Connection connection = DriverManager.getConnection("jdbc:sqlite:" + plain);
          Statement statement = connection.createStatement()) {
        for (String table : TABLES) {
          List<String> rows = new ArrayList<>();
          try (ResultSet result = statement.executeQuery("SELECT * FROM " + table)) {
            int columns = result.getMetaData().getColumnCount();
            while (result.next()) {
              StringBuilder row = new StringBuilder();
              for (int c = 1; c <= columns; c++) {
                Object value = result.getObject(c);
                row.append(value instanceof byte[] bytes ? HexFormat.of().formatHex(bytes) : value).append('|');
              }
              rows.add(row.toString());
            }
          }
          rows.sort(null);
          tables.put(table, rows);
        }
      }
      return tables;
    } finally {
      Files.delete(plain);
    }
  }
}
