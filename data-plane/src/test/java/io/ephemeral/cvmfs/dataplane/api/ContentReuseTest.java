package io.ephemeral.cvmfs.dataplane.api;

import static io.ephemeral.cvmfs.dataplane.testsupport.RepositoryApi.json;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.ephemeral.cvmfs.dataplane.maintenance.MaintenanceSettings;
import io.ephemeral.cvmfs.dataplane.repository.DataLayout;
import io.ephemeral.cvmfs.dataplane.server.DataPlane;
import io.ephemeral.cvmfs.dataplane.server.DataPlaneConfig;
import io.ephemeral.cvmfs.dataplane.testsupport.IndependentTools;
import io.ephemeral.cvmfs.dataplane.testsupport.RepositoryApi;
import io.ephemeral.cvmfs.dataplane.testsupport.Tars;
import io.ephemeral.cvmfs.dataplane.verify.RemoteRepository;
import io.ephemeral.cvmfs.dataplane.verify.RepositoryReader;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Content reuse over real HTTP: bytes published with their SHA-256 are found by it and published
 * again elsewhere without being sent (the request bytes the server counts say so), by an archive,
 * a single file, a staged upload; bad digests change nothing; a copy outlives its original and a
 * collection; a restart remembers the digests.
 */
class ContentReuseTest {

  private static final String REPO = "reuse.example.org";
  private static final Pattern REQUEST_BYTES = Pattern.compile(
      "cvmfs_http_request_bytes_total\\{[^}]*route=\"POST /api/v1/repos/\\{repo}/paths/\\{path\\.\\.\\.}\"[^}]*} (\\S+)");

  @TempDir
  Path data;

  private DataPlane dataPlane;
  private RepositoryApi api;
  private byte[] archive;
  private byte[] large;

  @BeforeEach
  void start() throws IOException {
    startDataPlane();
    api = new RepositoryApi(() -> dataPlane, data, REPO);
    large = new byte[4 << 20];
    new Random(7).nextBytes(large);
    archive = Tars.tar().dir("bin").file("bin/tool", large, 0755).file("README", "read me\n".getBytes(), 0644)
        .symlink("latest", "bin/tool").bytes();
  }

  private void startDataPlane() throws IOException {
    // No grace: a collection may delete what the last revision no longer references at once.
    dataPlane = DataPlane.start(DataPlaneConfig.local(data, List.of(REPO))
        .withMaintenance(MaintenanceSettings.DEFAULT.withGc(Duration.ZERO, Duration.ZERO)));
  }

  @AfterEach
  void stop() {
    dataPlane.close();
  }

  @Test
  void anArchivePublishedWithItsDigestIsPublishedAgainWithoutItsBytes() throws Exception {
    String digest = sha256(archive);
    assertEquals(201, api.put("builds/1", archive, "?ttl=1h&sha256=" + digest).statusCode());

    HttpResponse<String> known = api.send("GET", "/sources/sha256:" + digest.toUpperCase(), null);
    assertEquals(200, known.statusCode(), known.body());
    assertEquals("sha256:" + digest, json(known).path("source").asText());
    assertEquals("/builds/1", json(known).path("publications").get(0).path("path").asText());
    HttpResponse<String> head = api.send("HEAD", "/sources/sha256:" + digest, null);
    assertEquals(200, head.statusCode());
    assertEquals("", head.body());

    double receivedBefore = requestBytes();
    HttpResponse<String> again = api.send("POST", "/paths/builds/2",
        "{\"source\":\"sha256:" + digest + "\",\"ttl\":\"2h\"}");

    assertEquals(201, again.statusCode(), again.body());
    assertTrue(requestBytes() - receivedBefore < 200, "the content was not sent again");
    assertEquals(2, json(again).path("files").asLong(), "the regular files");
    assertEquals(large.length + 8, json(again).path("bytes").asLong());
    assertTrue(json(again).path("objectsWritten").asLong() <= 1, "at most the new catalog is written: " + again.body());
    try (RepositoryReader reader = reader()) {
      assertArrayEquals(large, reader.readAllBytes("/builds/2/bin/tool"));
      assertArrayEquals("read me\n".getBytes(), reader.readAllBytes("/builds/2/README"));
      assertEquals("bin/tool", reader.lookup("/builds/2/latest").orElseThrow().symlink());
    }
    if (IndependentTools.available()) {
      IndependentTools.forUrl(api.served(), new DataLayout(data).masterPublicKey(REPO))
          .checkAll();
    }
  }

  @Test
  void aCopyOutlivesItsOriginalACollectionAndARestart() throws Exception {
    String digest = sha256(archive);
    assertEquals(201, api.put("builds/1", archive, "?sha256=" + digest).statusCode());
    assertEquals(201, api.send("POST", "/paths/builds/2",
        "{\"source\":\"" + digest + "\"}").statusCode());

    assertEquals(200, api.send("DELETE", "/paths/builds/1", null).statusCode());
    assertEquals(200, api.send("POST", "/gc", null).statusCode());
    dataPlane.close();
    startDataPlane();

    try (RepositoryReader reader = reader()) {
      assertArrayEquals(large, reader.readAllBytes("/builds/2/bin/tool"));
    }
    JsonNode known = json(api.send("GET", "/sources/sha256:" + digest, null));
    assertEquals("/builds/2", known.path("publications").get(0).path("path").asText(), known.toString());
    assertEquals(201, api.send("POST", "/paths/builds/3",
        "{\"source\":\"sha256:" + digest + "\"}").statusCode());
  }

  @Test
  void aSingleFileAndAStagedUploadAreKnownByTheirDigest() throws Exception {
    String fileDigest = sha256(large);
    assertEquals(201, api.put("files/blob", large, "?format=file&sha256=" + fileDigest).statusCode());
    HttpResponse<String> copied = api.send("POST", "/paths/files/copy",
        "{\"source\":\"sha256:" + fileDigest + "\"}");
    assertEquals(201, copied.statusCode(), copied.body());
    assertEquals(0, json(copied).path("objectsWritten").asLong());

    byte[] staged = Tars.tar().file("staged.txt", "staged\n").bytes();
    HttpResponse<String> upload = api.send(HttpRequest.newBuilder(api.uri("/api/v1/repos/" + REPO + "/uploads"))
        .POST(HttpRequest.BodyPublishers.ofByteArray(staged)));
    String id = json(upload).path("id").asText();
    assertEquals(sha256(staged), json(upload).path("sha256").asText());
    assertEquals(201, api.send("POST", "/paths/staged/1", "{\"upload\":\"" + id + "\"}")
        .statusCode());
    assertEquals(201, api.send("POST", "/paths/staged/2",
        "{\"source\":\"sha256:" + sha256(staged) + "\"}").statusCode());

    try (RepositoryReader reader = reader()) {
      assertArrayEquals(large, reader.readAllBytes("/files/copy"));
      assertArrayEquals("staged\n".getBytes(), reader.readAllBytes("/staged/2/staged.txt"));
    }
  }

  @Test
  void badDigestsGetClearErrorsAndChangeNothing() throws Exception {
    long revision = revision();
    String wrong = sha256("something else".getBytes());

    HttpResponse<String> mismatch = api.put("builds/bad", archive, "?sha256=" + wrong);
    assertEquals(400, mismatch.statusCode(), mismatch.body());
    assertTrue(json(mismatch).path("detail").asText().contains("sha256 mismatch"), mismatch.body());
    HttpResponse<String> malformed = api.put("builds/bad", archive, "?sha256=xyz");
    assertEquals(400, malformed.statusCode());
    assertEquals("invalid_parameter", json(malformed).path("error").asText());
    HttpResponse<String> unknown = api.send("GET", "/sources/sha256:" + wrong, null);
    assertEquals(404, unknown.statusCode());
    assertEquals("unknown_source", json(unknown).path("error").asText());
    HttpResponse<String> unknownCopy = api.send("POST", "/paths/builds/bad",
        "{\"source\":\"sha256:" + wrong + "\"}");
    assertEquals(404, unknownCopy.statusCode(), unknownCopy.body());
    HttpResponse<String> badSource = api.send("POST", "/paths/builds/bad",
        "{\"source\":\"md5:abc\"}");
    assertEquals(400, badSource.statusCode());
    assertEquals("invalid_parameter", json(badSource).path("error").asText());
    assertEquals(400, api.send("POST", "/paths/builds/bad",
        "{\"source\":\"sha256:" + wrong + "\",\"url\":\"http://127.0.0.1:1/x\"}").statusCode());

    assertEquals(revision, revision());
    assertEquals(404, api.send("GET", "/paths/builds/bad", null).statusCode());
  }

  @Test
  void aTakenPathIsNotOverwrittenByACopyUnlessAsked() throws Exception {
    String digest = sha256(archive);
    assertEquals(201, api.put("builds/1", archive, "?sha256=" + digest).statusCode());
    assertEquals(201, api.put("builds/2", Tars.tar().file("other", "other").bytes(), "").statusCode());

    assertEquals(409, api.send("POST", "/paths/builds/2",
        "{\"source\":\"sha256:" + digest + "\"}").statusCode());
    assertEquals(201, api.send("POST", "/paths/builds/2",
        "{\"source\":\"sha256:" + digest + "\",\"overwrite\":true}").statusCode());
    try (RepositoryReader reader = reader()) {
      assertArrayEquals("read me\n".getBytes(), reader.readAllBytes("/builds/2/README"));
    }
  }

  private double requestBytes() throws Exception {
    Matcher matcher = REQUEST_BYTES.matcher(api.send(HttpRequest.newBuilder(api.uri("/metrics"))).body());
    double total = 0;
    while (matcher.find()) {
      total += Double.parseDouble(matcher.group(1));
    }
    return total;
  }

  private long revision() throws Exception {
    return json(api.send("GET", "", null)).path("revision").asLong();
  }

  private RepositoryReader reader() throws IOException {
    return RepositoryReader.open(new RemoteRepository(api.served()));
  }

  private static String sha256(byte[] bytes) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
  }
}
