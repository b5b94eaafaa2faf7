package io.ephemeral.cvmfs.dataplane.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.ephemeral.cvmfs.dataplane.format.Compression;
import io.ephemeral.cvmfs.dataplane.repository.DataLayout;
import io.ephemeral.cvmfs.dataplane.repository.Repository;
import io.ephemeral.cvmfs.dataplane.server.DataPlane;
import io.ephemeral.cvmfs.dataplane.server.DataPlaneConfig;
import io.ephemeral.cvmfs.dataplane.testsupport.ApiRequests;
import io.ephemeral.cvmfs.dataplane.testsupport.IndependentTools;
import io.ephemeral.cvmfs.dataplane.verify.RemoteRepository;
import io.ephemeral.cvmfs.dataplane.verify.RepositoryReader;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The earlier service's endpoints, replayed over real HTTP. */
class LegacyApiTest {

  private static final String REPO = "legacy.example.org";
  private static final String OTHER = "other-legacy.example.org";

  @TempDir
  static Path data;

  private static DataPlane dataPlane;
  private static String base;

  @BeforeAll
  static void start() throws Exception {
    dataPlane = DataPlane.start(DataPlaneConfig.local(data, List.of(REPO, OTHER)).withHousekeepingInterval(Duration.ofHours(1)));
    base = "http://127.0.0.1:" + dataPlane.port();
  }

  @AfterAll
  static void stop() {
    dataPlane.close();
  }

  private static String token(String fqrn) throws Exception {
    return Files.readString(data.resolve("keys").resolve(fqrn + ".token")).strip();
  }

  static HttpResponse<String> upload(String baseUrl, String query, String name, byte[] content, String token) throws Exception {
    String boundary = "legacy-boundary-7d1";
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    body.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + name
        + "\"\r\nContent-Type: text/plain\r\n\r\n").getBytes(StandardCharsets.UTF_8));
    body.writeBytes(content);
    body.writeBytes(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(baseUrl + "/repos/" + REPO + query))
        .header("Content-Type", "multipart/form-data; boundary=" + boundary)
        .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray()));
    return ApiRequests.send(request, token);
  }

  private static HttpResponse<String> call(String method, String path, String token) throws Exception {
    return ApiRequests.send(HttpRequest.newBuilder(URI.create(base + path)).method(method, HttpRequest.BodyPublishers.noBody()), token);
  }

  private static JsonNode json(HttpResponse<String> response) throws Exception {
    return JsonResponses.JSON.readTree(response.body());
  }

  @Test
  void uploadDownloadListTtlAndDelete() throws Exception {
    HttpResponse<String> uploaded = upload(base, "?ttl_s=600", "report.txt", "the report\n".getBytes(), token(REPO));
    assertEquals(200, uploaded.statusCode(), uploaded.body());
    JsonNode body = json(uploaded);
    assertEquals("report.txt", body.get("filename").asText());
    assertEquals("text/plain", body.get("content_type").asText());
    assertTrue(body.get("expires_at").isDouble() && body.get("upload_time_s").isDouble() && body.get("publish_time_s").isDouble());
    assertTrue(Math.abs(body.get("expires_at").asDouble() - (System.currentTimeMillis() / 1000.0 + 600)) < 30);

    HttpResponse<String> downloaded = call("GET", "/repos/" + REPO + "/report.txt", null);
    assertEquals(200, downloaded.statusCode());
    assertEquals("the report\n", downloaded.body());
    try (RepositoryReader reader = RepositoryReader.open(new RemoteRepository(URI.create(base + "/cvmfs/" + REPO)))) {
      assertArrayEquals("the report\n".getBytes(), reader.readAllBytes("/report.txt"));
    }
    assertTrue(json(call("GET", "/repos/" + REPO, null)).get("files").toString().contains("\"report.txt\""));

    HttpResponse<String> again = upload(base, "", "report.txt", "second".getBytes(), token(REPO));
    assertEquals(409, again.statusCode());
    assertEquals("File report.txt already exists", json(again).get("detail").asText());
    assertEquals(200, upload(base, "?overwrite=true", "report.txt", "second".getBytes(), token(REPO)).statusCode());
    assertEquals("second", call("GET", "/repos/" + REPO + "/report.txt", null).body());

    HttpResponse<String> ttl = call("POST", "/repos/" + REPO + "/report.txt/ttl?ttl_s=100", token(REPO));
    assertEquals(200, ttl.statusCode(), ttl.body());
    assertEquals("{\"filename\":\"report.txt\",\"ttl_s\":100}", ttl.body());
    assertEquals(422, call("POST", "/repos/" + REPO + "/report.txt/ttl", token(REPO)).statusCode());
    assertEquals(404, call("POST", "/repos/" + REPO + "/nothing.txt/ttl?ttl_s=5", token(REPO)).statusCode());

    HttpResponse<String> deleted = call("DELETE", "/repos/" + REPO + "/report.txt", token(REPO));
    assertEquals(200, deleted.statusCode(), deleted.body());
    assertEquals("{\"target_name\":\"report.txt\"}", deleted.body());
    HttpResponse<String> gone = call("DELETE", "/repos/" + REPO + "/report.txt", token(REPO));
    assertEquals(404, gone.statusCode());
    assertEquals("File report.txt does not exist in repo " + REPO, json(gone).get("detail").asText());
  }

  @Test
  void aFileStoredUncompressedDownloadsAsUploaded() throws Exception {
    byte[] random = new byte[100_000];
    new Random(19).nextBytes(random);
    assertEquals(200, upload(base, "", "layer.bin", random, token(REPO)).statusCode());

    HttpResponse<byte[]> downloaded = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create(base + "/repos/" + REPO + "/layer.bin")).build(),
        HttpResponse.BodyHandlers.ofByteArray());
    assertEquals(200, downloaded.statusCode());
    assertArrayEquals(random, downloaded.body());
    try (RepositoryReader reader = RepositoryReader.open(new RemoteRepository(URI.create(base + "/cvmfs/" + REPO)))) {
      // Random bytes in a zlib repository: stored as they are, the entry says so.
      assertEquals(Compression.NONE, reader.lookup("/layer.bin").orElseThrow().compression());
    }
    assertEquals(200, call("DELETE", "/repos/" + REPO + "/layer.bin", token(REPO)).statusCode());
  }

  @Test
  void badRequestsGetTheEarlierServicesErrors() throws Exception {
    HttpResponse<String> reserved = upload(base, "", "ttl.json", "{}".getBytes(), token(REPO));
    assertEquals(400, reserved.statusCode());
    assertEquals("Filename ttl.json is not allowed", json(reserved).get("detail").asText());
    HttpResponse<String> unknown = call("GET", "/repos/nowhere.example.org", null);
    assertEquals(404, unknown.statusCode());
    assertEquals("Repo nowhere.example.org does not exist", json(unknown).get("detail").asText());
    HttpResponse<String> noFile = ApiRequests.send(HttpRequest.newBuilder(URI.create(base + "/repos/" + REPO))
        .header("Content-Type", "multipart/form-data; boundary=x").POST(HttpRequest.BodyPublishers.ofString("--x--\r\n")),
        token(REPO));
    assertEquals(422, noFile.statusCode(), noFile.body());
    assertEquals(422, upload(base, "?ttl_s=1.5", "a.txt", "a".getBytes(), token(REPO)).statusCode());
    assertEquals(422, upload(base, "?unpack=maybe", "a.txt", "a".getBytes(), token(REPO)).statusCode());
    assertEquals(404, call("GET", "/repos/" + REPO + "/missing.txt", null).statusCode());
    HttpResponse<String> notAnImage = upload(base, "?unpack=true", "not-an-image.tar", "garbage".getBytes(), token(REPO));
    assertEquals(400, notAnImage.statusCode(), notAnImage.body());
    assertTrue(json(notAnImage).get("detail").asText().length() > 0);
  }

  @Test
  void writingNeedsTheTokenUnlessTheServerSaysOtherwise() throws Exception {
    assertEquals(401, upload(base, "", "x.txt", "x".getBytes(), null).statusCode());
    assertEquals(403, upload(base, "", "x.txt", "x".getBytes(), token(OTHER)).statusCode());
    assertEquals(401, call("POST", "/housekeeping", null).statusCode());
    assertEquals(200, call("GET", "/repos/" + REPO, null).statusCode());

    Path open = Files.createDirectories(data.resolve("open"));
    try (DataPlane tokenless = DataPlane.start(DataPlaneConfig.local(open, List.of(REPO)).withLegacyApiWithoutToken(true))) {
      HttpResponse<String> response = upload("http://127.0.0.1:" + tokenless.port(), "", "free.txt", "free".getBytes(), null);
      assertEquals(200, response.statusCode(), response.body());
    }
  }

  @Test
  void cleanNotifyHousekeepingAndGc() throws Exception {
    assertEquals(200, upload(base, "?ttl_s=1", "short.txt", "short".getBytes(), token(REPO)).statusCode());
    Thread.sleep(1200);
    HttpResponse<String> cleaned = call("POST", "/repos/" + REPO + "/clean", token(REPO));
    assertEquals(200, cleaned.statusCode(), cleaned.body());
    assertEquals("Cleaned up 1 expired files in repo: " + REPO + ". Errors: 0", json(cleaned).get("message").asText());
    assertEquals(404, call("GET", "/repos/" + REPO + "/short.txt", null).statusCode());

    HttpResponse<String> notified = call("POST", "/repos/" + REPO + "/notify", token(REPO));
    assertEquals(200, notified.statusCode(), notified.body());
    assertEquals("Notified clients about changes in repo " + REPO, json(notified).get("message").asText());

    HttpResponse<String> housekeeping = call("POST", "/housekeeping", token(REPO));
    assertEquals(200, housekeeping.statusCode(), housekeeping.body());
    assertEquals("Housekeeping completed", json(housekeeping).get("message").asText());
    assertTrue(json(housekeeping).get("housekeeping_time_s").isDouble());
    HttpResponse<String> gc = call("POST", "/gc", token(OTHER));
    assertEquals(200, gc.statusCode(), gc.body());
    assertTrue(json(gc).get("gc_time_s").isDouble());
  }

  @Test
  void resignSignsEveryWhitelistAfresh() throws Exception {
    DataLayout layout = new DataLayout(data);
    byte[] before = Files.readAllBytes(layout.served(REPO).resolve(Repository.WHITELIST));
    Thread.sleep(1100); // whitelists carry their signing time to the second

    assertEquals(401, call("POST", "/resign", null).statusCode());
    HttpResponse<String> resigned = call("POST", "/resign", token(OTHER));

    assertEquals(200, resigned.statusCode(), resigned.body());
    assertEquals("Whitelists re-signed", json(resigned).get("message").asText());
    assertTrue(json(resigned).get("resign_time_s").isDouble());
    assertFalse(Arrays.equals(before, Files.readAllBytes(layout.served(REPO).resolve(Repository.WHITELIST))));
    if (IndependentTools.available()) {
      for (String repo : List.of(REPO, OTHER)) {
        IndependentTools.forUrl(URI.create(base + "/cvmfs/" + repo), layout.masterPublicKey(repo)).checkAll();
      }
    }
  }

  @Test
  void resignWithoutTheMasterKeyHereSignsNothing() throws Exception {
    Path keyless = Files.createDirectories(data.resolve("keyless"));
    DataPlane.start(DataPlaneConfig.local(keyless, List.of("keyless.example.org"))).close();
    DataLayout layout = new DataLayout(keyless);
    Files.delete(layout.masterKey("keyless.example.org"));
    Path whitelist = layout.served("keyless.example.org").resolve(Repository.WHITELIST);
    byte[] before = Files.readAllBytes(whitelist);

    try (DataPlane withoutMasterKey = DataPlane.start(DataPlaneConfig.local(keyless, List.of("keyless.example.org")))) {
      HttpResponse<String> refused = ApiRequests.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
          + withoutMasterKey.port() + "/resign")).POST(HttpRequest.BodyPublishers.noBody()),
          Files.readString(layout.keys().resolve("keyless.example.org.token")).strip());

      assertEquals(409, refused.statusCode(), refused.body());
      assertTrue(json(refused).get("detail").asText().contains("No master key here for keyless.example.org"),
          refused.body());
    }
    assertArrayEquals(before, Files.readAllBytes(whitelist));
  }

  @Test
  void curlUploadsWithTheFormField() throws Exception {
    Path file = Files.writeString(data.resolve("curl-upload.txt"), "from curl\n");
    Process curl = new ProcessBuilder("curl", "-sS", "-F", "file=@" + file, "-H", "Authorization: Bearer " + token(REPO),
        "-w", "\n%{http_code}", base + "/repos/" + REPO + "?ttl_s=300").redirectErrorStream(true).start();
    String output = new String(curl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, curl.waitFor(), output);
    assertTrue(output.endsWith("\n200") && output.contains("\"filename\":\"curl-upload.txt\""), output);
    assertEquals("from curl\n", call("GET", "/repos/" + REPO + "/curl-upload.txt", null).body());
  }
}
