package io.ephemeral.cvmfs.dataplane.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.ephemeral.cvmfs.dataplane.maintenance.MaintenanceSettings;
import io.ephemeral.cvmfs.dataplane.repository.Repository;
import io.ephemeral.cvmfs.dataplane.server.DataPlane;
import io.ephemeral.cvmfs.dataplane.server.DataPlaneConfig;
import io.ephemeral.cvmfs.dataplane.verify.RemoteRepository;
import io.ephemeral.cvmfs.dataplane.verify.RepositoryReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Query flags, encodings and the route tables' 404 and 405 over real HTTP: a flag that is not
 * one of its spellings is refused and changes nothing, and dryRun=1 is really dry.
 */
class ApiParametersTest {

  private static final String REPO = "params.example.org";

  @TempDir
  static Path data;

  private static DataPlane dataPlane;
  private static String token;

  @BeforeAll
  static void start() throws IOException {
    // No grace: a revision replaced a second ago may be collected, so garbage is quick to make.
    dataPlane = DataPlane.start(DataPlaneConfig.local(data, List.of(REPO))
        .withMaintenance(MaintenanceSettings.DEFAULT.withGc(Duration.ZERO, Duration.ZERO)));
    token = Files.readString(data.resolve("keys").resolve(REPO + ".token")).strip();
  }

  @AfterAll
  static void stop() {
    dataPlane.close();
  }

  /** A status, the headers in lower case, and the body of one request sent as given. */
  record Answer(int status, Map<String, String> headers, String body) {
    JsonNode json() throws IOException {
      return JsonResponses.JSON.readTree(body);
    }
  }

  static Answer raw(String method, String target, String bearer, byte[] body) throws IOException {
    try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), dataPlane.port())) {
      socket.setSoTimeout(30_000);
      OutputStream out = socket.getOutputStream();
      out.write((method + " " + target + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
          + (bearer == null ? "" : "Authorization: Bearer " + bearer + "\r\n")
          + "Content-Length: " + (body == null ? 0 : body.length) + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
      if (body != null) {
        out.write(body);
      }
      out.flush();
      InputStream in = socket.getInputStream();
      String response = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      int end = response.indexOf("\r\n\r\n");
      String[] lines = response.substring(0, end).split("\r\n");
      Map<String, String> headers = new TreeMap<>();
      for (int i = 1; i < lines.length; i++) {
        int colon = lines[i].indexOf(':');
        headers.put(lines[i].substring(0, colon).toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).strip());
      }
      return new Answer(Integer.parseInt(lines[0].split(" ")[1]), headers, response.substring(end + 4));
    }
  }

  private static Answer put(String path, String content) throws IOException {
    return raw("PUT", "/api/v1/repos/" + REPO + "/paths/" + path, token, content.getBytes(StandardCharsets.UTF_8));
  }

  /** Every file of the store with its size: what a collection would change. */
  private static Map<String, Long> store() throws IOException {
    Path objects = data.resolve(REPO).resolve("data");
    Map<String, Long> files = new TreeMap<>();
    try (Stream<Path> walk = Files.walk(objects)) {
      for (Path file : (Iterable<Path>) walk.filter(Files::isRegularFile)::iterator) {
        files.put(objects.relativize(file).toString(), Files.size(file));
      }
    }
    return files;
  }

  private static byte[] manifest() throws IOException {
    return Files.readAllBytes(data.resolve(REPO).resolve(Repository.MANIFEST));
  }

  /** Publishes and removes a file in revisions a second apart, so that a collection has something to delete. */
  private static void makeGarbage(String name) throws Exception {
    assertEquals(201, put(name + "?format=file", "garbage " + name + " " + System.nanoTime()).status());
    Thread.sleep(1100);
    assertEquals(200, raw("DELETE", "/api/v1/repos/" + REPO + "/paths/" + name, token, null).status());
    Thread.sleep(1100);
    FileTime old = FileTime.from(Instant.now().minus(Duration.ofDays(1)));
    try (Stream<Path> walk = Files.walk(data.resolve(REPO).resolve("data"))) {
      for (Path file : (Iterable<Path>) walk.filter(Files::isRegularFile)::iterator) {
        Files.setLastModifiedTime(file, old);
      }
    }
  }

  @Test
  void gcFlagsThatAreNotFlagsAreRefusedAndDryRunsDeleteNothing() throws Exception {
    makeGarbage("gc-garbage");
    Map<String, Long> before = store();
    byte[] manifest = manifest();
    String v1 = "/api/v1/repos/" + REPO + "/gc";

    for (String target : List.of(v1 + "?dryRun=banana", "/gc?dryRun=banana", v1 + "?dryRun=on",
        v1 + "?dryRun=1&dryRun=false", "/gc?dryRun=true&dryRun=0")) {
      Answer refused = raw("POST", target, token, null);
      assertEquals(400, refused.status(), target + ": " + refused.body());
      assertTrue(refused.json().get("detail").asText().contains("dryRun"), target + ": " + refused.body());
      assertEquals(before, store(), target + " changed the store");
    }
    Answer banana = raw("POST", v1 + "?dryRun=banana", token, null);
    assertEquals("invalid_parameter", banana.json().get("error").asText());
    assertEquals("dryRun must be one of true, false, 1, 0, yes, no", banana.json().get("detail").asText());

    for (String target : List.of(v1 + "?dryRun=1", v1 + "?dryRun=yes", v1 + "?dryRun=TRUE", "/gc?dryRun=1",
        "/gc?dryRun=Yes")) {
      Answer dry = raw("POST", target, token, null);
      assertEquals(200, dry.status(), target + ": " + dry.body());
      assertEquals(before, store(), target + " deleted objects");
      if (target.startsWith(v1)) {
        assertTrue(dry.json().get("dryRun").asBoolean(), dry.body());
        assertTrue(dry.json().get("objectsFreed").asLong() > 0, "nothing to collect: " + dry.body());
      }
    }
    assertArrayEquals(manifest, manifest());

    // The same store is collected for real when asked: the dry runs above had something to delete.
    Answer real = raw("POST", v1 + "?dryRun=no", token, null);
    assertEquals(200, real.status(), real.body());
    assertTrue(real.json().get("objectsFreed").asLong() > 0, real.body());
    assertNotEquals(before, store());
  }

  @Test
  void legacyGcRunsForRealWithoutDryRun() throws Exception {
    makeGarbage("legacy-garbage");
    Map<String, Long> before = store();
    Answer real = raw("POST", "/gc?dryRun=0", token, null);
    assertEquals(200, real.status(), real.body());
    assertNotEquals(before, store());
  }

  @Test
  void overwriteAcceptsTheFlagSpellingsAndRefusesOthers() throws Exception {
    assertEquals(201, put("over.txt?format=file", "first").status());
    assertEquals(409, put("over.txt?format=file", "second").status());
    assertEquals(409, put("over.txt?format=file&overwrite=0", "second").status());
    byte[] before = manifest();
    Answer banana = put("over.txt?format=file&overwrite=banana", "second");
    assertEquals(400, banana.status(), banana.body());
    assertEquals("overwrite must be one of true, false, 1, 0, yes, no", banana.json().get("detail").asText());
    assertArrayEquals(before, manifest());
    assertEquals("first", read("/over.txt"));

    Answer one = put("over.txt?format=file&overwrite=1", "second");
    assertEquals(201, one.status(), one.body());
    assertEquals("second", read("/over.txt"));
    Answer yes = put("over.txt?overwrite=yes&format=file", "third");
    assertEquals(201, yes.status(), yes.body());
    assertEquals("third", read("/over.txt"));

    // The same spellings in a JSON body.
    Answer staged = raw("POST", "/api/v1/repos/" + REPO + "/uploads", token, "fourth".getBytes(StandardCharsets.UTF_8));
    assertEquals(201, staged.status(), staged.body());
    Answer claimed = raw("POST", "/api/v1/repos/" + REPO + "/paths/over.txt", token, ("{\"upload\": \""
        + staged.json().get("id").asText() + "\", \"format\": \"file\", \"overwrite\": \"1\"}").getBytes(StandardCharsets.UTF_8));
    assertEquals(201, claimed.status(), claimed.body());
    assertEquals("fourth", read("/over.txt"));
  }

  private static String read(String path) throws IOException {
    try (RepositoryReader reader = RepositoryReader.open(
        new RemoteRepository(URI.create("http://127.0.0.1:" + dataPlane.port() + "/cvmfs/" + REPO)))) {
      return new String(reader.readAllBytes(path), StandardCharsets.UTF_8);
    }
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "PUT  | /api/v1/repos/" + REPO + "/paths/enc?ttl=%ff",
      "PUT  | /api/v1/repos/" + REPO + "/paths/enc?format=file&x=%zz",
      "GET  | /api/v1/repos/" + REPO + "/paths?cachebust=%4",
      "POST | /api/v1/repos/" + REPO + "/gc?dryRun=%ff",
      "PUT  | /api/v1/repos/" + REPO + "/paths/enc%ff",
      "GET  | /api/v1/repos/" + REPO + "/paths/%zz",
      "GET  | /repos/" + REPO + "?x=%ff",
      "POST | /gc?dryRun=%C3",
      "GET  | /repos/" + REPO + "/a%ff.txt",
      "POST | /repos/" + REPO + "/a.txt/ttl?ttl_s=%4"})
  void invalidPercentEncodingIsRefused(String method, String target) throws Exception {
    byte[] before = manifest();
    Answer answer = raw(method, target, token, "x".getBytes(StandardCharsets.UTF_8));
    assertEquals(400, answer.status(), answer.body());
    assertTrue(answer.json().get("detail").asText().startsWith("invalid "), answer.body());
    assertTrue(!answer.body().contains("\ufffd"), answer.body());
    assertArrayEquals(before, manifest());
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "GET     | /api/v1/repos/" + REPO + "/nothing             | 404 |",
      "GET     | /api/v1/repos/" + REPO + "/paths/x/           | 404 |",
      "GET     | /api/v1/repos/                                | 404 |",
      "DELETE  | /api/v1/repos/" + REPO + "                    | 405 | GET",
      "POST    | /api/v1/repos/" + REPO + "/paths              | 405 | GET",
      "OPTIONS | /api/v1/repos/" + REPO + "/paths/a/b          | 405 | GET, PUT, POST, PATCH, DELETE",
      "PUT     | /api/v1/repos/" + REPO + "/uploads            | 405 | POST",
      "GET     | /api/v1/repos/" + REPO + "/gc                 | 405 | POST",
      "POST    | /api/v1/repos/" + REPO + "/whitelist          | 405 | PUT",
      "GET     | /gc                                           | 405 | POST",
      "DELETE  | /housekeeping                                 | 405 | POST",
      "PUT     | /repos/" + REPO + "                           | 405 | GET, POST",
      "PUT     | /repos/" + REPO + "/file.txt                  | 405 | GET, DELETE",
      "GET     | /repos/" + REPO + "/clean                     | 404 |",
      "PATCH   | /repos/" + REPO + "/clean                     | 405 | POST, GET, DELETE",
      "GET     | /repos/" + REPO + "/file.txt/ttl              | 405 | POST",
      "GET     | /repos/" + REPO + "/a/b/c                     | 404 |",
      "GET     | /repos/                                       | 404 |"})
  void unknownPathsAre404AndOtherMethodsAre405WithAllow(String method, String target, int status, String allow)
      throws Exception {
    Answer answer = raw(method, target, token, null);
    assertEquals(status, answer.status(), method + " " + target + ": " + answer.body());
    assertEquals("application/json", answer.headers().get("content-type"), answer.body());
    JsonNode body = answer.json();
    assertTrue(body.has("detail"), answer.body());
    if (target.startsWith("/api/")) {
      assertTrue(body.has("error"), answer.body());
    }
    assertEquals(allow, answer.headers().get("allow"), method + " " + target);
  }

  @Test
  void pathsOfNoTableGoOnToTheFallback() throws Exception {
    Answer answer = raw("GET", "/nowhere?flag=%ff", null, null);
    assertEquals(404, answer.status());
    assertEquals("text/plain", answer.headers().get("content-type"));
  }
}
