package io.ephemeral.cvmfs.dataplane.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.ephemeral.cvmfs.common.format.Pem;
import io.ephemeral.cvmfs.dataplane.publish.PublicationPolicy;
import io.ephemeral.cvmfs.dataplane.repository.Repository;
import io.ephemeral.cvmfs.dataplane.server.DataPlane;
import io.ephemeral.cvmfs.dataplane.server.DataPlaneConfig;
import io.ephemeral.cvmfs.dataplane.testsupport.ApiRequests;
import io.ephemeral.cvmfs.dataplane.testsupport.FixtureServer;
import io.ephemeral.cvmfs.dataplane.testsupport.Tars;
import io.ephemeral.cvmfs.dataplane.verify.RemoteRepository;
import io.ephemeral.cvmfs.dataplane.verify.RepositoryReader;
import io.ephemeral.cvmfs.dataplane.verify.RepositoryVerifier;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The publish API over real HTTP on loopback, against a data plane started in the test. */
class ApiTest {

  private static final String REPO = "api.example.org";
  private static final String OTHER = "other.example.org";
  private static final String TOKEN = "token-of-both";

  @TempDir
  static Path data;

  private static DataPlane dataPlane;
  private static String base;

  @BeforeAll
  static void start() throws IOException {
    DataPlaneConfig local = DataPlaneConfig.local(data, List.of(REPO, OTHER))
        .withHousekeepingInterval(Duration.ofMillis(200))
        .withPolicy(new PublicationPolicy(Duration.ofHours(2), Duration.ofDays(7), 1 << 20, 4 << 20, 50, 100,
            Duration.ofHours(1)));
    dataPlane = DataPlane.start(local);
    base = "http://127.0.0.1:" + dataPlane.port();
    Files.writeString(data.resolve("keys").resolve(OTHER + ".token"), "ignored");
  }

  @AfterAll
  static void stop() {
    dataPlane.close();
  }

  private static String token(String fqrn) throws IOException {
    return Files.readString(data.resolve("keys").resolve(fqrn + ".token")).strip();
  }

  static HttpResponse<String> send(String method, String path, byte[] body, String token) throws Exception {
    return ApiRequests.send(HttpRequest.newBuilder(URI.create(base + path))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body)), token);
  }

  private static HttpResponse<String> put(String path, byte[] body) throws Exception {
    return send("PUT", "/api/v1/repos/" + REPO + "/paths/" + path, body, token(REPO));
  }

  private static JsonNode json(HttpResponse<String> response) throws IOException {
    return JsonResponses.JSON.readTree(response.body());
  }

  private static byte[] manifest() throws IOException {
    return Files.readAllBytes(data.resolve(REPO).resolve(Repository.MANIFEST));
  }

  private static RepositoryReader reader() throws IOException {
    return RepositoryReader.open(new RemoteRepository(URI.create(base + "/cvmfs/" + REPO)));
  }

  @Test
  void publishesATarAndServesItAtOnce() throws Exception {
    byte[] tar = Tars.tar().dir("bin").file("bin/tool", "#!/bin/sh\n".getBytes(), 0755)
        .file("README", "read me\n").symlink("latest", "bin/tool").bytes();
    HttpResponse<String> response = put("pipelines/1?ttl=30m", tar);
    assertEquals(201, response.statusCode(), response.body());
    JsonNode body = json(response);
    assertEquals("/pipelines/1", body.get("path").asText());
    assertEquals(2, body.get("files").asLong());
    assertTrue(body.get("revision").asLong() > 0);
    assertTrue(body.has("objectsWritten") && body.has("objectsReused") && body.has("expiresAt") && body.has("timings"));
    try (RepositoryReader reader = reader()) {
      assertEquals(body.get("revision").asLong(), reader.manifest().revision());
      assertArrayEquals("read me\n".getBytes(), reader.readAllBytes("/pipelines/1/README"));
      assertEquals("bin/tool", reader.lookup("/pipelines/1/latest").orElseThrow().symlink());
    }
    new RepositoryVerifier(new RemoteRepository(URI.create(base + "/cvmfs/" + REPO)),
        List.of(Pem.readPublicKey(Files.readString(data.resolve("keys").resolve(REPO + ".pub"))))).verify();
  }

  @Test
  void recognisesGzipAndZstdAndPublishesSingleFiles() throws Exception {
    byte[] archive = Tars.tar().file("a.txt", "compressed\n").bytes();
    assertEquals(201, put("formats/gz", Tars.gzip(archive)).statusCode());
    assertEquals(201, put("formats/zst", Tars.zstd(archive)).statusCode());
    HttpResponse<String> file = put("formats/single.bin?format=file", "just bytes".getBytes());
    assertEquals(201, file.statusCode(), file.body());
    try (RepositoryReader reader = reader()) {
      assertArrayEquals("compressed\n".getBytes(), reader.readAllBytes("/formats/gz/a.txt"));
      assertArrayEquals("compressed\n".getBytes(), reader.readAllBytes("/formats/zst/a.txt"));
      assertArrayEquals("just bytes".getBytes(), reader.readAllBytes("/formats/single.bin"));
    }
  }

  @Test
  void writingNeedsTheRepositorysTokenAndReadingNeedsNone() throws Exception {
    byte[] tar = Tars.tar().file("x", "x").bytes();
    HttpResponse<String> anonymous = send("PUT", "/api/v1/repos/" + REPO + "/paths/auth", tar, null);
    assertEquals(401, anonymous.statusCode());
    assertEquals("unauthorized", json(anonymous).get("error").asText());
    HttpResponse<String> foreign = send("PUT", "/api/v1/repos/" + REPO + "/paths/auth", tar, token(OTHER));
    assertEquals(403, foreign.statusCode());
    assertEquals(404, send("PUT", "/api/v1/repos/unknown.example.org/paths/auth", tar, token(REPO)).statusCode());
    assertEquals(404, send("GET", "/api/v1/repos/unknown.example.org", null, null).statusCode());
    assertEquals(200, send("GET", "/api/v1/repos/" + REPO + "/paths", null, null).statusCode());
    assertFalse(send("GET", "/api/v1/repos/" + REPO + "/paths", null, null).body().contains("/auth"));
  }

  @Test
  void samePathConflictsUnlessOverwritingAndNestingConflictsAlways() throws Exception {
    byte[] tar = Tars.tar().file("v", "1").bytes();
    assertEquals(201, put("conflict/a", tar).statusCode());
    byte[] before = manifest();
    HttpResponse<String> again = put("conflict/a", tar);
    assertEquals(409, again.statusCode());
    assertEquals("conflict", json(again).get("error").asText());
    assertEquals(409, put("conflict/a/inner", tar).statusCode());
    assertEquals(409, put("conflict", tar).statusCode());
    assertArrayEquals(before, manifest());
    assertEquals(201, put("conflict/a?overwrite=true", Tars.tar().file("v", "2").bytes()).statusCode());
    try (RepositoryReader reader = reader()) {
      assertArrayEquals("2".getBytes(), reader.readAllBytes("/conflict/a/v"));
    }
  }

  @Test
  void listsChangesTtlDescribesAndDeletes() throws Exception {
    assertEquals(201, put("life/one?ttl=1h", Tars.tar().file("f", "f").bytes()).statusCode());
    JsonNode listed = json(send("GET", "/api/v1/repos/" + REPO + "/paths", null, null));
    JsonNode one = null;
    for (JsonNode publication : listed.get("publications")) {
      if (publication.get("path").asText().equals("/life/one")) {
        one = publication;
      }
    }
    assertTrue(one != null && one.has("createdAt") && one.has("expiresAt") && one.get("files").asLong() == 1, listed.toString());
    HttpResponse<String> patched = send("PATCH", "/api/v1/repos/" + REPO + "/paths/life/one",
        "{\"ttl\": \"3d\"}".getBytes(), token(REPO));
    assertEquals(200, patched.statusCode(), patched.body());
    assertTrue(java.time.Instant.parse(json(patched).get("expiresAt").asText())
        .isAfter(java.time.Instant.now().plus(Duration.ofDays(2))));
    assertEquals(400, send("PATCH", "/api/v1/repos/" + REPO + "/paths/life/one", "{\"ttl\": \"30d\"}".getBytes(),
        token(REPO)).statusCode());
    JsonNode info = json(send("GET", "/api/v1/repos/" + REPO, null, null));
    assertEquals(REPO, info.get("fqrn").asText());
    assertTrue(info.get("bytesStored").asLong() > 0 && info.has("whitelistExpiresAt") && info.has("rootCatalog"));
    HttpResponse<String> deleted = send("DELETE", "/api/v1/repos/" + REPO + "/paths/life/one", null, token(REPO));
    assertEquals(200, deleted.statusCode(), deleted.body());
    try (RepositoryReader reader = reader()) {
      assertTrue(reader.lookup("/life/one").isEmpty());
    }
    assertEquals(404, send("DELETE", "/api/v1/repos/" + REPO + "/paths/life/one", null, token(REPO)).statusCode());
  }

  @Test
  void stagedUploadsAndRemoteArchivesArePublished() throws Exception {
    byte[] tar = Tars.tar().file("staged.txt", "staged\n").bytes();
    HttpResponse<String> staged = send("POST", "/api/v1/repos/" + REPO + "/uploads", tar, token(REPO));
    assertEquals(201, staged.statusCode(), staged.body());
    JsonNode upload = json(staged);
    assertEquals(tar.length, upload.get("bytes").asLong());
    assertEquals(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(tar)), upload.get("sha256").asText());
    HttpResponse<String> claimed = send("POST", "/api/v1/repos/" + REPO + "/paths/staged",
        ("{\"upload\": \"" + upload.get("id").asText() + "\", \"ttl\": \"10m\"}").getBytes(), token(REPO));
    assertEquals(201, claimed.statusCode(), claimed.body());
    assertEquals(404, send("POST", "/api/v1/repos/" + REPO + "/paths/staged-again",
        ("{\"upload\": \"" + upload.get("id").asText() + "\"}").getBytes(), token(REPO)).statusCode());

    Path served = Files.createDirectories(data.resolve("remote"));
    Files.write(served.resolve("archive.tar"), tar);
    try (FixtureServer remote = FixtureServer.serve(served)) {
      String url = remote.uri("archive.tar").toString();
      String sha256 = upload.get("sha256").asText();
      HttpResponse<String> fetched = send("POST", "/api/v1/repos/" + REPO + "/paths/remote",
          ("{\"url\": \"" + url + "\", \"sha256\": \"" + sha256 + "\"}").getBytes(), token(REPO));
      assertEquals(201, fetched.statusCode(), fetched.body());
      HttpResponse<String> mismatch = send("POST", "/api/v1/repos/" + REPO + "/paths/remote-bad",
          ("{\"url\": \"" + url + "\", \"sha256\": \"" + "0".repeat(64) + "\"}").getBytes(), token(REPO));
      assertEquals(400, mismatch.statusCode());
      assertTrue(mismatch.body().contains("sha256 mismatch"), mismatch.body());
      HttpResponse<String> missing = send("POST", "/api/v1/repos/" + REPO + "/paths/remote-missing",
          ("{\"url\": \"" + remote.uri("nothing.tar") + "\"}").getBytes(), token(REPO));
      assertEquals(422, missing.statusCode(), missing.body());
    }
    try (RepositoryReader reader = reader()) {
      assertArrayEquals("staged\n".getBytes(), reader.readAllBytes("/staged/staged.txt"));
      assertArrayEquals("staged\n".getBytes(), reader.readAllBytes("/remote/staged.txt"));
    }
  }

  @Test
  void badInputGetsAClearErrorAndChangesNothing() throws Exception {
    byte[] before = manifest();
    record Case(String path, byte[] body, int status, String detail) {}
    byte[] validTar = Tars.tar().file("ok", "ok").bytes();
    byte[] truncated = java.util.Arrays.copyOf(Tars.tar().file("big", new byte[5000], 0644).bytes(), 1500);
    byte[] corruptGzip = Tars.gzip(Tars.tar().file("a", "a").bytes());
    corruptGzip[corruptGzip.length / 2] ^= 0x55;
    List<Case> cases = List.of(
        new Case("bad/absolute", Tars.tar().file("/etc/passwd", "x").bytes(), 400, "/etc/passwd"),
        new Case("bad/dotdot", Tars.tar().file("a/../../escape", "x").bytes(), 400, ".."),
        new Case("bad/through-symlink", Tars.tar().symlink("link", "/etc").file("link/passwd", "x").bytes(), 400, "link"),
        new Case("bad/device", Tars.tar().special("dev", TarConstants.LF_CHR).bytes(), 400, "dev"),
        new Case("bad/truncated", truncated, 400, "truncated"),
        new Case("bad/corrupt-gzip", corruptGzip, 400, ""),
        new Case("bad/garbage", "this is not an archive at all".getBytes(), 400, "not a tar"),
        new Case("bad/too-big-file", Tars.tar().file("big", new byte[(1 << 20) + 1], 0644).bytes(), 413, "big"),
        new Case("bad/too-many", manyEntries(60), 413, "entries"),
        new Case("bad/bomb", Tars.gzip(Tars.tar().file("zeros", new byte[1 << 20], 0644).file("more", new byte[1 << 20], 0644)
            .file("most", new byte[1 << 20], 0644).bytes()), 413, "expands"),
        new Case("bad/ttl?ttl=forever", validTar, 400, "TTL"),
        new Case("bad/ttl?ttl=8d", validTar, 400, "maximum"),
        new Case("bad/format?format=rar", validTar, 400, "format"),
        new Case("bad/./dot", validTar, 400, "invalid path"),
        new Case("bad/%00nul", validTar, 400, "NUL"),
        new Case("bad/" + "x".repeat(256), validTar, 400, "255"));
    for (Case c : cases) {
      HttpResponse<String> response = put(c.path, c.body);
      assertEquals(c.status, response.statusCode(), c.path + ": " + response.body());
      JsonNode error = json(response);
      assertTrue(error.has("error") && error.get("detail").asText().contains(c.detail), c.path + ": " + response.body());
    }
    assertArrayEquals(before, manifest());
    assertNoTemporaryFiles();
  }

  @Test
  void clientHangingUpMidUploadChangesNothing() throws Exception {
    byte[] before = manifest();
    try (Socket socket = new Socket("127.0.0.1", dataPlane.port())) {
      OutputStream out = socket.getOutputStream();
      out.write(("PUT /api/v1/repos/" + REPO + "/paths/hangup HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token(REPO)
          + "\r\nContent-Length: 10000000\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      out.write(Tars.tar().file("partial", new byte[100_000], 0644).bytes(), 0, 50_000);
      out.flush();
      Thread.sleep(300);
    }
    Thread.sleep(500);
    assertArrayEquals(before, manifest());
    assertTrue(send("GET", "/api/v1/repos/" + REPO + "/paths", null, null).body().indexOf("/hangup") < 0);
    assertNoTemporaryFiles();
  }

  @Test
  void uploadRefusedBeforeItsBodyIsReadIsAnsweredWhileTheClientKeepsSending() throws Exception {
    // Far more than the socket buffers hold: the client can send it all only if the server drains it.
    int length = 32 << 20;
    try (Socket socket = new Socket("127.0.0.1", dataPlane.port())) {
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      out.write(("PUT /api/v1/repos/" + REPO + "/paths/bad/./dot HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
          + token(REPO) + "\r\nContent-Length: " + length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      byte[] block = new byte[1 << 20];
      for (int sent = 0; sent < length; sent += block.length) {
        out.write(block);
      }
      out.flush();
      String response = new String(socket.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
      assertTrue(response.startsWith("HTTP/1.1 400 "), response);
      assertTrue(response.contains("\"error\"") && response.contains("invalid path"), response);
    }
  }

  @Test
  void expiredPublicationsLeaveInANewRevision() throws Exception {
    HttpResponse<String> response = put("expiring?ttl=1s", Tars.tar().file("soon", "gone").bytes());
    assertEquals(201, response.statusCode(), response.body());
    long published = json(response).get("revision").asLong();
    long deadline = System.currentTimeMillis() + 5_000;
    boolean gone = false;
    while (!gone && System.currentTimeMillis() < deadline) {
      Thread.sleep(100);
      try (RepositoryReader reader = reader()) {
        gone = reader.lookup("/expiring").isEmpty() && reader.manifest().revision() > published;
      }
    }
    assertTrue(gone, "the expired publication is still served");
  }

  @Test
  void thirtyTwoConcurrentPublishesAllLand() throws Exception {
    ExecutorService clients = Executors.newFixedThreadPool(32);
    try {
      List<Future<HttpResponse<String>>> results = new ArrayList<>();
      for (int i = 0; i < 32; i++) {
        int n = i;
        results.add(clients.submit(() -> put("concurrent/" + n, Tars.tar().file("n.txt", "number " + n).bytes())));
      }
      for (Future<HttpResponse<String>> result : results) {
        assertEquals(201, result.get().statusCode(), result.get().body());
      }
    } finally {
      clients.shutdown();
    }
    try (RepositoryReader reader = reader()) {
      for (int i = 0; i < 32; i++) {
        assertArrayEquals(("number " + i).getBytes(), reader.readAllBytes("/concurrent/" + i + "/n.txt"));
      }
    }
  }

  @Test
  void curlUploadsWithExpectContinue() throws Exception {
    Path archive = data.resolve("curl.tar.zst");
    Files.write(archive, Tars.zstd(Tars.tar().file("from-curl", new byte[300_000], 0644).bytes()));
    Process curl = new ProcessBuilder("curl", "-sS", "-T", archive.toString(), "-H", "Authorization: Bearer " + token(REPO),
        "-w", "\n%{http_code}", base + "/api/v1/repos/" + REPO + "/paths/pipelines/curl?ttl=2h").redirectErrorStream(true).start();
    String output = new String(curl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, curl.waitFor(), output);
    assertTrue(output.endsWith("\n201"), output);
  }

  private static byte[] manyEntries(int count) {
    Tars archive = Tars.tar();
    for (int i = 0; i < count; i++) {
      archive.file("f" + i, "x");
    }
    return archive.bytes();
  }

  private static void assertNoTemporaryFiles() throws IOException {
    try (Stream<Path> txn = Files.walk(data.resolve(REPO).resolve("data/txn"))) {
      assertEquals(0, txn.filter(Files::isRegularFile).count(), "files left in data/txn");
    }
    Path scratch = data.resolve("state").resolve(REPO).resolve("tmp");
    if (Files.isDirectory(scratch)) {
      try (Stream<Path> files = Files.list(scratch)) {
        assertEquals(0, files.count(), "files left in the scratch directory");
      }
    }
  }
}
