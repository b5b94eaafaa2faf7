package io.ephemeral.cvmfs.dataplane.api;

import static io.ephemeral.cvmfs.dataplane.testsupport.RepositoryApi.json;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.ephemeral.cvmfs.common.format.ContentHash;
import io.ephemeral.cvmfs.common.format.ObjectKind;
import io.ephemeral.cvmfs.common.format.SignedDocument;
import io.ephemeral.cvmfs.dataplane.format.Manifest;
import io.ephemeral.cvmfs.dataplane.maintenance.MaintenanceSettings;
import io.ephemeral.cvmfs.dataplane.server.DataPlane;
import io.ephemeral.cvmfs.dataplane.server.DataPlaneConfig;
import io.ephemeral.cvmfs.dataplane.testsupport.RepositoryApi;
import io.ephemeral.cvmfs.dataplane.testsupport.Tars;
import io.ephemeral.cvmfs.dataplane.verify.RemoteRepository;
import io.ephemeral.cvmfs.dataplane.verify.RepositoryReader;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.zip.InflaterInputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tags over real HTTP: a tag names a revision in a history database the manifest names (read
 * here with the sqlite3 shell), survives a collection and a restart, and a rollback serves its
 * publications again in a new revision; bad names, taken names and unknown tags change nothing.
 */
class TagsTest {

  private static final String REPO = "tags.example.org";
  /**
   * With no grace a collection keeps what became current in the last second (reflog times are
   * seconds), so a test waits this long before a collection that must free what was replaced.
   */
  private static final long GRACE_SECOND = 1100;

  @TempDir
  Path data;

  private DataPlane dataPlane;
  private RepositoryApi api;

  @BeforeEach
  void start() throws IOException {
    startDataPlane();
    api = new RepositoryApi(() -> dataPlane, data, REPO);
  }

  private void startDataPlane() throws IOException {
    dataPlane = DataPlane.start(DataPlaneConfig.local(data, List.of(REPO))
        .withMaintenance(MaintenanceSettings.DEFAULT.withGc(Duration.ZERO, Duration.ZERO)));
  }

  @AfterEach
  void stop() {
    dataPlane.close();
  }

  @Test
  void aTaggedRevisionOutlivesACollectionAndARestartAndComesBackByRollback() throws Exception {
    assertEquals(201, api.put("builds/1", Tars.tar().file("release.txt", "release one\n").bytes(), "").statusCode());
    HttpResponse<String> tagged = api.send("POST", "/tags", "{\"name\":\"v1\",\"description\":\"first release\"}");
    assertEquals(201, tagged.statusCode(), tagged.body());
    long taggedRevision = json(tagged).path("revision").asLong();
    assertEquals(taggedRevision, manifest().revision(), "tagging makes no revision");

    // The history the manifest names lists the tag with the revision's root catalog.
    Manifest manifest = manifest();
    String rows = sqlite(history(manifest.history()), "SELECT name, hash, revision, description, branch FROM tags;");
    assertEquals("v1|" + manifest.rootCatalog() + "|" + taggedRevision + "|first release|", rows);
    assertEquals("fqrn|" + REPO + "\nschema|1.0\nschema_revision|3",
        sqlite(history(manifest.history()), "SELECT key, value FROM properties ORDER BY key;"));

    assertEquals(200, api.send("DELETE", "/paths/builds/1", null).statusCode());
    assertEquals(201, api.put("builds/2", Tars.tar().file("next.txt", "next\n").bytes(), "").statusCode());
    Thread.sleep(GRACE_SECOND);
    assertEquals(200, api.send("POST", "/gc", null).statusCode());
    dataPlane.close();
    startDataPlane();

    JsonNode list = json(api.send("GET", "/tags", null));
    assertEquals("v1", list.path("tags").get(0).path("name").asText(), list.toString());
    HttpResponse<String> rolledBack = api.send("POST", "/tags/v1/rollback", null);
    assertEquals(201, rolledBack.statusCode(), rolledBack.body());
    long revision = json(rolledBack).path("revision").asLong();
    assertTrue(revision > taggedRevision, "revisions never go back");
    assertEquals(revision, manifest().revision());
    try (RepositoryReader reader = RepositoryReader.open(new RemoteRepository(api.served()))) {
      assertArrayEquals("release one\n".getBytes(), reader.readAllBytes("/builds/1/release.txt"));
      assertTrue(reader.lookup("/builds/2").isEmpty(), "what came after the tag is gone");
    }
  }

  @Test
  void badNamesTakenNamesAndUnknownTagsChangeNothing() throws Exception {
    assertEquals(201, api.put("builds/1", Tars.tar().file("a", "a").bytes(), "").statusCode());
    assertEquals(201, api.send("POST", "/tags", "{\"name\":\"v1\"}").statusCode());
    Manifest before = manifest();

    assertEquals(400, api.send("POST", "/tags", "{\"name\":\"not a name\"}").statusCode());
    assertEquals(400, api.send("POST", "/tags", "{\"name\":\"trunk\"}").statusCode());
    assertEquals(400, api.send("POST", "/tags", "{}").statusCode());
    HttpResponse<String> taken = api.send("POST", "/tags", "{\"name\":\"v1\"}");
    assertEquals(409, taken.statusCode());
    assertEquals("conflict", json(taken).path("error").asText());
    assertEquals(404, api.send("POST", "/tags/v9/rollback", null).statusCode());
    assertEquals(404, api.send("DELETE", "/tags/v9", null).statusCode());
    assertEquals(401, api.sendWithoutToken(HttpRequest.newBuilder(api.uri("/api/v1/repos/" + REPO + "/tags"))
        .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"v2\"}"))).statusCode());

    Manifest after = manifest();
    assertEquals(before.revision(), after.revision());
    assertEquals(before.history(), after.history());
    assertEquals(1, json(api.send("GET", "/tags", null)).path("tags").size());
  }

  @Test
  void removingTheLastTagRemovesTheHistoryAndWhatOnlyItKept() throws Exception {
    assertEquals(201, api.put("builds/1", Tars.tar().file("kept.txt", "kept by the tag\n").bytes(), "").statusCode());
    assertEquals(201, api.send("POST", "/tags", "{\"name\":\"v1\"}").statusCode());
    ContentHash tagged = manifest().rootCatalog();
    assertEquals(200, api.send("DELETE", "/paths/builds/1", null).statusCode());
    Thread.sleep(GRACE_SECOND);
    assertEquals(200, api.send("POST", "/gc", null).statusCode());
    assertTrue(Files.exists(data.resolve(REPO).resolve(tagged.objectPath(ObjectKind.CATALOG))));

    assertEquals(200, api.send("DELETE", "/tags/v1", null).statusCode());
    assertEquals(null, manifest().history());
    // A collection also keeps what was written in its last two seconds (coarse file times).
    Thread.sleep(2 * GRACE_SECOND);
    assertEquals(200, api.send("POST", "/gc", null).statusCode());
    assertFalse(Files.exists(data.resolve(REPO).resolve(tagged.objectPath(ObjectKind.CATALOG))));
  }

  @Test
  void aRollbackToContentNoLongerStoredIsRefusedAndChangesNothing() throws Exception {
    assertEquals(201, api.put("builds/1", Tars.tar().file("a", "a").bytes(), "").statusCode());
    assertEquals(201, api.send("POST", "/tags", "{\"name\":\"v1\"}").statusCode());
    assertEquals(200, api.send("DELETE", "/paths/builds/1", null).statusCode());
    // Collected behind the data plane's back (another tool, a lost disk): the tag's nested catalog is gone.
    ContentHash nested = dataPlane.service().publisher(REPO).repository().tags().get(0).publications().get(0).catalog();
    Files.delete(data.resolve(REPO).resolve(nested.objectPath(ObjectKind.CATALOG)));
    long revision = manifest().revision();

    HttpResponse<String> refused = api.send("POST", "/tags/v1/rollback", null);

    assertEquals(409, refused.statusCode(), refused.body());
    assertTrue(json(refused).path("detail").asText().contains("no longer stored"), refused.body());
    assertEquals(revision, manifest().revision());
    assertEquals(404, api.send("GET", "/paths/builds/1", null).statusCode());
  }

  private Path history(ContentHash hash) throws IOException {
    Path file = data.resolve("history-" + hash.toString() + ".db");
    try (InputStream in = new InflaterInputStream(Files.newInputStream(
        data.resolve(REPO).resolve(hash.objectPath(ObjectKind.HISTORY))))) {
      Files.copy(in, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }
    return file;
  }

  private static String sqlite(Path db, String query) throws Exception {
    Process process = new ProcessBuilder("sqlite3", db.toString(), query).redirectErrorStream(true).start();
    String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    assertTrue(process.waitFor(30, TimeUnit.SECONDS));
    assertEquals(0, process.exitValue(), out);
    return out;
  }

  private Manifest manifest() throws Exception {
    return Manifest.parse(SignedDocument.parse(api.bytes("/cvmfs/" + REPO + "/.cvmfspublished")));
  }

}
