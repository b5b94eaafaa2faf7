package io.ephemeral.cvmfs.dataplane.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import io.ephemeral.cvmfs.dataplane.server.DataPlane;
import io.ephemeral.cvmfs.dataplane.server.DataPlaneConfig;
import io.ephemeral.cvmfs.dataplane.testsupport.FixtureServer;
import io.ephemeral.cvmfs.dataplane.testsupport.Tars;
import io.ephemeral.cvmfs.dataplane.verify.RemoteRepository;
import io.ephemeral.cvmfs.dataplane.verify.RepositoryReader;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Publishes answered 202 before they finish: the operation runs while its source is still held
 * back by the origin, is read by its id until it succeeded or failed, belongs to its repository
 * only, and a shutdown lets it finish within the grace.
 */
class AsyncPublishTest {

  private static final String REPO = "async.example.org";
  private static final String OTHER = "other.example.org";
  private static final byte[] ARCHIVE = Tars.tar().file("built.txt", "built\n").bytes();

  @TempDir
  Path data;

  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final CountDownLatch release = new CountDownLatch(1);
  private HttpServer origin;
  private DataPlane dataPlane;

  @BeforeEach
  void start() throws IOException {
    origin = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    origin.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
    origin.createContext("/held.tar", exchange -> {
      try {
        release.await(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      exchange.sendResponseHeaders(200, ARCHIVE.length);
      exchange.getResponseBody().write(ARCHIVE);
      exchange.close();
    });
    origin.createContext("/missing.tar", exchange -> {
      exchange.sendResponseHeaders(404, -1);
      exchange.close();
    });
    origin.start();
    dataPlane = DataPlane.start(DataPlaneConfig.local(data, List.of(REPO, OTHER)));
  }

  @AfterEach
  void stop() {
    release.countDown();
    dataPlane.close();
    origin.stop(0);
  }

  @Test
  void theAnswerComesBeforeTheSourceAndTheOperationTellsTheOutcome() throws Exception {
    long before = revision();

    HttpResponse<String> accepted = publishAsync("builds/1", "held.tar");

    assertEquals(202, accepted.statusCode(), accepted.body());
    JsonNode operation = json(accepted.body());
    assertEquals("running", operation.path("state").asText());
    assertEquals("/builds/1", operation.path("path").asText());
    String location = accepted.headers().firstValue("Location").orElseThrow();
    assertEquals("/api/v1/repos/" + REPO + "/operations/" + operation.path("id").asText(), location);
    assertEquals("respond-async", accepted.headers().firstValue("Preference-Applied").orElseThrow());
    assertEquals("running", json(get(location, token(REPO)).body()).path("state").asText());
    assertEquals(404, get("/api/v1/repos/" + REPO + "/paths/builds/1", null).statusCode());

    release.countDown();
    JsonNode done = awaitFinished(location);

    assertEquals("succeeded", done.path("state").asText(), done.toString());
    long revision = done.path("result").path("revision").asLong();
    assertTrue(revision > before);
    assertEquals(1, done.path("result").path("files").asLong());
    assertFalse(done.path("finishedAt").isNull());
    assertEquals(revision, json(get("/api/v1/repos/" + REPO + "/paths/builds/1", null).body()).path("revision").asLong());
    try (FixtureServer served = FixtureServer.serve(data);
        RepositoryReader reader = RepositoryReader.open(new RemoteRepository(served.uri(REPO)))) {
      assertArrayEquals("built\n".getBytes(StandardCharsets.UTF_8), reader.readAllBytes("/builds/1/built.txt"));
    }
  }

  @Test
  void aFailedOperationCarriesTheErrorASynchronousPublishWouldHaveAnswered() throws Exception {
    long before = revision();

    String location = publishAsync("builds/2", "missing.tar").headers().firstValue("Location").orElseThrow();
    JsonNode failed = awaitFinished(location);

    assertEquals("failed", failed.path("state").asText(), failed.toString());
    assertEquals(422, failed.path("error").path("status").asInt());
    assertEquals("source_unavailable", failed.path("error").path("error").asText());
    assertTrue(failed.path("error").path("detail").asText().contains("404"), failed.toString());
    assertTrue(failed.path("result").isMissingNode());
    assertEquals(before, revision());
    assertEquals(404, get("/api/v1/repos/" + REPO + "/paths/builds/2", null).statusCode());
  }

  @Test
  void anOperationIsReadWithItsRepositorysTokenOnly() throws Exception {
    String id = json(publishAsync("builds/3", "missing.tar").body()).path("id").asText();
    String path = "/api/v1/repos/" + REPO + "/operations/" + id;

    assertEquals(401, get(path, null).statusCode());
    assertEquals(403, get(path, token(OTHER)).statusCode());
    HttpResponse<String> elsewhere = get("/api/v1/repos/" + OTHER + "/operations/" + id, token(OTHER));
    assertEquals(404, elsewhere.statusCode());
    assertEquals("not_found", json(elsewhere.body()).path("error").asText());
    HttpResponse<String> unknown = get("/api/v1/repos/" + REPO + "/operations/0123abcd", token(REPO));
    assertEquals(404, unknown.statusCode());
    assertTrue(json(unknown.body()).path("detail").asText().contains("restart"), unknown.body());
  }

  @Test
  void withoutThePreferenceThePublishAnswersWhenDone() throws Exception {
    release.countDown();
    HttpResponse<String> created = http.send(publishRequest("builds/4", "held.tar").build(),
        HttpResponse.BodyHandlers.ofString());

    assertEquals(201, created.statusCode(), created.body());
    assertTrue(json(created.body()).path("revision").asLong() > 0);
  }

  @Test
  void aShutdownLetsARunningOperationCommitWithinTheGrace() throws Exception {
    String location = publishAsync("builds/5", "held.tar").headers().firstValue("Location").orElseThrow();
    Thread releaser = new Thread(() -> {
      try {
        Thread.sleep(500);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      release.countDown();
    });
    releaser.start();

    dataPlane.drain(Duration.ofSeconds(20));
    dataPlane.close();
    releaser.join();

    dataPlane = DataPlane.start(DataPlaneConfig.local(data, List.of(REPO, OTHER)));
    assertEquals(200, get("/api/v1/repos/" + REPO + "/paths/builds/5", null).statusCode());
    // What was running is not remembered across the restart; the path says what became of it.
    assertEquals(404, get(location, token(REPO)).statusCode());
  }

  private HttpResponse<String> publishAsync(String path, String source) throws Exception {
    return http.send(publishRequest(path, source).header("Prefer", "respond-async").build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private HttpRequest.Builder publishRequest(String path, String source) throws IOException {
    String body = "{\"url\":\"http://127.0.0.1:" + origin.getAddress().getPort() + "/" + source + "\"}";
    return HttpRequest.newBuilder(uri("/api/v1/repos/" + REPO + "/paths/" + path)).timeout(Duration.ofSeconds(30))
        .header("Authorization", "Bearer " + token(REPO)).POST(HttpRequest.BodyPublishers.ofString(body));
  }

  private JsonNode awaitFinished(String location) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (true) {
      JsonNode operation = json(get(location, token(REPO)).body());
      if (!operation.path("state").asText().equals("running") || System.nanoTime() > deadline) {
        return operation;
      }
      Thread.sleep(20);
    }
  }

  private long revision() throws Exception {
    return json(get("/api/v1/repos/" + REPO, null).body()).path("revision").asLong();
  }

  private HttpResponse<String> get(String path, String bearer) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(30));
    if (bearer != null) {
      request.header("Authorization", "Bearer " + bearer);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private URI uri(String path) {
    return URI.create("http://127.0.0.1:" + dataPlane.port() + path);
  }

  private String token(String repo) throws IOException {
    return Files.readString(data.resolve("keys").resolve(repo + ".token")).strip();
  }

  private static JsonNode json(String body) throws IOException {
    return JsonResponses.JSON.readTree(body);
  }
}
