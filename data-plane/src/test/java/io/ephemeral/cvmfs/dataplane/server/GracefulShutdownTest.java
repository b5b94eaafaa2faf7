package io.ephemeral.cvmfs.dataplane.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import io.ephemeral.cvmfs.common.format.Pem;
import io.ephemeral.cvmfs.dataplane.api.JsonResponses;
import io.ephemeral.cvmfs.dataplane.http.InFlightRequests;
import io.ephemeral.cvmfs.dataplane.repository.Publication;
import io.ephemeral.cvmfs.dataplane.testsupport.RawHttpConnection;
import io.ephemeral.cvmfs.dataplane.testsupport.Tars;
import io.ephemeral.cvmfs.dataplane.verify.RemoteRepository;
import io.ephemeral.cvmfs.dataplane.verify.RepositoryReader;
import io.ephemeral.cvmfs.dataplane.verify.RepositoryVerifier;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGTERM drains the data plane: uploads in flight finish within the grace, new requests on open
 * connections get 503, and what outlasts the grace is cut and logged without anything half
 * committed. Uploads are sent by hand over sockets so that the test decides when a body arrives.
 */
class GracefulShutdownTest {

  private static final String REPO = "drain.example.org";
  private static final String TOKEN = "drain-token";

  // Shared by every start, as a mounted Secret would be: key generation is slow.
  @TempDir
  static Path keys;

  @TempDir
  Path data;

  @BeforeAll
  static void generateKeys(@TempDir Path scratch) throws IOException {
    DataPlane.start(DataPlaneConfig.local(scratch, List.of(REPO)).withKeysDirectory(keys)).close();
  }

  private DataPlaneConfig config(Duration grace) {
    return DataPlaneConfig.local(data, List.of(REPO)).withKeysDirectory(keys).withShutdownGrace(grace);
  }

  @Test
  void anUploadInFlightFinishesAndNewRequestsAreRefused() throws Exception {
    byte[] content = content(300_000);
    byte[] tar = Tars.tar().file("data.bin", content, 0644).bytes();
    int half = tar.length / 2;
    DataPlane dataPlane = DataPlane.start(config(Duration.ofSeconds(20)));
    CompletableFuture<List<InFlightRequests.Cut>> shutdown;
    long revision;
    try (RawHttpConnection upload = connect(dataPlane.port()); RawHttpConnection idle = connect(dataPlane.port());
        RawHttpConnection stream = connect(dataPlane.port())) {
      idle.send(request("GET", "/cvmfs/" + REPO + "/.cvmfspublished", ""));
      assertEquals(200, idle.read().status());
      // A notification stream is no request in flight: it must not hold the drain.
      String subscription = "{\"version\":1,\"repository\":\"" + REPO + "\"}";
      stream.send(request("POST", "/api/v1/notifications/subscribe", "Content-Type: application/json\r\n"
          + "Content-Length: " + subscription.length() + "\r\n") + subscription);
      assertEquals(200, stream.readHead().status());
      beginUpload(upload, "/api/v1/repos/" + REPO + "/paths/drain/1", token(), tar, half);
      await(() -> dataPlane.requestsInFlight() == 1, "only the upload is in flight");

      shutdown = CompletableFuture.supplyAsync(dataPlane::shutdown);
      awaitRefused(dataPlane.port());

      // A new request on a connection opened before the drain.
      idle.send(request("GET", "/api/v1/repos/" + REPO, ""));
      RawHttpConnection.Response refused = idle.read();
      assertEquals(503, refused.status());
      assertEquals("close", refused.header("connection"));
      assertEquals("application/json", refused.header("content-type"));
      JsonNode error = JsonResponses.JSON.readTree(refused.body());
      assertEquals("shutting_down", error.get("error").asText());
      assertTrue(error.hasNonNull("detail"));
      assertTrue(idle.closedByServer());
      assertFalse(shutdown.isDone(), "the drain waits for the upload");
      stream.skipToEnd(); // ended by the drain, so that its client subscribes elsewhere

      upload.send(tar, half, tar.length - half);
      RawHttpConnection.Response published = upload.read();
      assertEquals(201, published.status(), new String(published.body(), StandardCharsets.UTF_8));
      assertEquals("close", published.header("connection"));
      revision = JsonResponses.JSON.readTree(published.body()).get("revision").asLong();
      assertTrue(upload.closedByServer());
    }
    assertEquals(List.of(), shutdown.get(15, TimeUnit.SECONDS));

    try (DataPlane again = DataPlane.start(config(Duration.ofSeconds(1)))) {
      String url = "http://127.0.0.1:" + again.port() + "/cvmfs/" + REPO;
      verify(url);
      try (RepositoryReader reader = RepositoryReader.open(new RemoteRepository(URI.create(url)))) {
        assertEquals(revision, reader.manifest().revision());
        assertArrayEquals(content, reader.readAllBytes("/drain/1/data.bin"));
      }
      assertEquals(List.of("/drain/1"), paths(again));
    }
  }

  @Test
  void anUploadOutlastingTheGraceIsCutLoggedAndNotCommitted() throws Exception {
    byte[] tar = Tars.tar().file("data.bin", content(200_000), 0644).bytes();
    int half = tar.length / 2;
    DataPlane dataPlane = DataPlane.start(config(Duration.ofSeconds(1)));
    long before = dataPlane.publisher(REPO).repository().head().orElseThrow().revision();
    List<InFlightRequests.Cut> cut;
    String log;
    try (RawHttpConnection upload = connect(dataPlane.port())) {
      beginUpload(upload, "/api/v1/repos/" + REPO + "/paths/cut/1?ttl=1h", token(), tar, half);
      await(() -> dataPlane.requestsInFlight() == 1, "the upload is in flight");
      PrintStream originalErr = System.err;
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
      long start = System.nanoTime();
      try {
        cut = dataPlane.shutdown();
      } finally {
        System.setErr(originalErr);
      }
      log = err.toString(StandardCharsets.UTF_8);
      assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(8), "the shutdown keeps to its grace");

      // The client learns of it: a 503, or at least a closed connection.
      try {
        upload.send(tar, half, tar.length - half);
        RawHttpConnection.Response response = upload.read();
        assertEquals(503, response.status());
        assertEquals("shutting_down", JsonResponses.JSON.readTree(response.body()).get("error").asText());
      } catch (IOException closed) {
        // the connection was closed under the client, which is allowed
      }
    }
    assertEquals(1, cut.size(), cut.toString());
    InFlightRequests.Cut what = cut.get(0);
    assertEquals("PUT", what.method());
    assertEquals("/api/v1/repos/" + REPO + "/paths/cut/1", what.path());
    assertTrue(what.client().startsWith("127.0.0.1:"), what.client());
    assertEquals(half, what.bodyBytes());
    assertFalse(what.bodyComplete());
    assertTrue(log.contains("shutdown grace over, cut PUT /api/v1/repos/" + REPO + "/paths/cut/1 from 127.0.0.1:"), log);
    assertTrue(log.contains(half + " bytes of its body received, not all of it"), log);

    try (DataPlane again = DataPlane.start(config(Duration.ofSeconds(1)))) {
      assertEquals(before, again.publisher(REPO).repository().head().orElseThrow().revision());
      assertEquals(List.of(), paths(again));
      verify("http://127.0.0.1:" + again.port() + "/cvmfs/" + REPO);
    }
  }

  @Test
  void sigtermToServeLetsAnUploadFinish() throws Exception {
    byte[] content = content(200_000);
    byte[] tar = Tars.tar().file("data.bin", content, 0644).bytes();
    int half = tar.length / 2;
    Process server = startServer();
    int status;
    try {
      int port = awaitStart(server);
      try (RawHttpConnection upload = connect(port)) {
        beginUpload(upload, "/api/v1/repos/" + REPO + "/paths/sigterm/1", TOKEN, tar, half);
        server.destroy(); // SIGTERM
        awaitRefused(port);
        upload.send(tar, half, tar.length - half);
        status = upload.read().status();
      }
      assertTrue(server.waitFor(20, TimeUnit.SECONDS), "serve ends after the drain");
    } finally {
      server.destroyForcibly();
    }
    assertTrue(Set.of(201, 503).contains(status), "status " + status);

    try (DataPlane again = DataPlane.start(config(Duration.ofSeconds(1)))) {
      String url = "http://127.0.0.1:" + again.port() + "/cvmfs/" + REPO;
      verify(url);
      if (status == 201) {
        try (RepositoryReader reader = RepositoryReader.open(new RemoteRepository(URI.create(url)))) {
          assertArrayEquals(content, reader.readAllBytes("/sigterm/1/data.bin"));
        }
        assertEquals(List.of("/sigterm/1"), paths(again));
      } else {
        assertEquals(List.of(), paths(again));
      }
    }
  }

  private Process startServer() throws IOException {
    ProcessBuilder builder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx256m", "-cp", System.getProperty("java.class.path"), "io.ephemeral.cvmfs.dataplane.cli.Main", "serve",
        "--data", data.toString(), "--keys", keys.toString(), "--repository", REPO, "--bind", "127.0.0.1", "--port", "0",
        "--notification-port", "-1", "--gc-interval", "0", "--shutdown-grace", "20s");
    builder.environment().put("CVMFS_EPHEMERAL_TOKEN", TOKEN);
    builder.redirectErrorStream(true);
    return builder.start();
  }

  private static int awaitStart(Process server) throws IOException {
    BufferedReader output = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
    Pattern serving = Pattern.compile("serving http://127\\.0\\.0\\.1:(\\d+)/cvmfs/");
    for (String line; (line = output.readLine()) != null; ) {
      Matcher matcher = serving.matcher(line);
      if (matcher.find()) {
        Thread drain = new Thread(() -> {
          try {
            output.lines().forEach(ignored -> { });
          } catch (UncheckedIOException closed) {
            // the process ended
          }
        }, "server-output");
        drain.setDaemon(true);
        drain.start();
        return Integer.parseInt(matcher.group(1));
      }
    }
    throw new IOException("the server did not start");
  }

  private String token() throws IOException {
    return Files.readString(keys.resolve(REPO + ".token")).strip();
  }

  private void verify(String url) throws Exception {
    new RepositoryVerifier(new RemoteRepository(URI.create(url)),
        List.of(Pem.readPublicKey(Files.readString(keys.resolve(REPO + ".pub"))))).verify();
  }

  private static List<String> paths(DataPlane dataPlane) throws Exception {
    return dataPlane.service().publications(REPO).stream().map(Publication::path).toList();
  }

  private static byte[] content(int size) {
    byte[] bytes = new byte[size];
    new Random(size).nextBytes(bytes);
    return bytes;
  }

  private static String request(String method, String target, String headers) {
    return method + " " + target + " HTTP/1.1\r\nHost: localhost\r\n" + headers + "\r\n";
  }

  private static void await(BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        fail("timed out waiting until " + what);
      }
      Thread.sleep(10);
    }
  }

  // The drain has begun once the port takes no more connections.
  private static void awaitRefused(int port) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (System.nanoTime() < deadline) {
      try (Socket probe = new Socket(InetAddress.getLoopbackAddress(), port)) {
        Thread.sleep(10);
      } catch (ConnectException refused) {
        return;
      }
    }
    fail("port " + port + " still accepts connections");
  }

  private static RawHttpConnection connect(int port) throws IOException {
    return new RawHttpConnection(port, 15_000);
  }

  /**
   * Sends the head of a PUT of {@code body}, waits for "100 Continue", which the server sends only
   * once the request is in (so it is in flight), then sends the first {@code part} bytes.
   */
  private static void beginUpload(RawHttpConnection connection, String target, String token, byte[] body, int part)
      throws IOException {
    connection.send(request("PUT", target, "Authorization: Bearer " + token + "\r\nContent-Length: " + body.length
        + "\r\nExpect: 100-continue\r\n"));
    assertEquals(100, connection.readHead().status());
    connection.send(body, 0, part);
  }
}
