package io.ephemeral.cvmfs.dataplane.http;

import static io.ephemeral.cvmfs.dataplane.testsupport.RawHttpConnection.request;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.ephemeral.cvmfs.dataplane.repository.DataLayout;
import io.ephemeral.cvmfs.dataplane.server.DataPlane;
import io.ephemeral.cvmfs.dataplane.server.DataPlaneConfig;
import io.ephemeral.cvmfs.dataplane.testsupport.RawHttpConnection;
import io.ephemeral.cvmfs.dataplane.testsupport.Tars;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** HTTP/1.1 connection handling of a whole data plane: ordering, refusals, timeouts, limits, cleanup. */
class ConnectionHandlingTest {

  private static final String REPO = "connections.example.org";
  private static final Duration HEADER_TIMEOUT = Duration.ofMillis(1000);
  private static final Duration IDLE_TIMEOUT = Duration.ofMillis(1500);

  @TempDir static Path data;
  private static DataPlane dataPlane;

  @BeforeAll
  static void start() throws IOException {
    dataPlane = DataPlane.start(DataPlaneConfig.local(data, List.of(REPO))
        .withHousekeepingInterval(Duration.ofHours(1))
        .withConnections(new ConnectionLimits(HEADER_TIMEOUT, IDLE_TIMEOUT, 0, 0)));
  }

  @AfterAll
  static void stop() {
    if (dataPlane != null) {
      dataPlane.close();
    }
  }

  private static String token() throws IOException {
    return Files.readString(data.resolve("keys").resolve(REPO + ".token")).strip();
  }

  private static String latin1(byte[] bytes) {
    return new String(bytes, StandardCharsets.ISO_8859_1);
  }

  @Test
  void answersAPipelinedPublishBeforeTheRequestBehindIt() throws Exception {
    byte[] tar = Tars.tar().file("a.txt", "pipelined\n").bytes();
    try (RawHttpConnection connection = new RawHttpConnection(dataPlane.port())) {
      connection.send("PUT /api/v1/repos/" + REPO + "/paths/pipelined HTTP/1.1\r\nHost: x\r\n"
          + "Authorization: Bearer " + token() + "\r\nContent-Length: " + tar.length + "\r\n\r\n" + latin1(tar)
          + request("GET", "/healthz"));
      RawHttpConnection.Response first = connection.read();
      assertEquals(201, first.status(), new String(first.body(), StandardCharsets.UTF_8));
      RawHttpConnection.Response second = connection.read();
      assertEquals(200, second.status());
      assertTrue(new String(second.body(), StandardCharsets.UTF_8).contains("\"up\""));
    }
  }

  @Test
  void answersUnknownMethodsWith501OnEveryPort() throws Exception {
    for (int port : new int[] {dataPlane.port(), dataPlane.notificationPort()}) {
      try (RawHttpConnection connection = new RawHttpConnection(port)) {
        connection.send(request("FOO", "/healthz") + "FOO /api/v1/notifications/publish HTTP/1.1\r\nHost: x\r\n"
            + "Content-Length: 3\r\n\r\nabc" + request("GET", "/api/v1/notifications/publish"));
        for (int i = 0; i < 2; i++) {
          RawHttpConnection.Response response = connection.read();
          assertEquals(501, response.status());
          assertEquals("application/json", response.header("content-type"));
          assertTrue(new String(response.body(), StandardCharsets.UTF_8).contains("\"error\":\"not_implemented\""));
        }
        // The connection goes on after the bodies were dropped.
        assertEquals(405, connection.read().status());
      }
    }
    try (RawHttpConnection connection = new RawHttpConnection(dataPlane.port())) {
      connection.send(request("DELETE", "/healthz"));
      RawHttpConnection.Response response = connection.read();
      assertEquals(405, response.status());
      assertEquals("GET, HEAD", response.header("allow"));
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"notification GET /api/v1/notifications/subscribe",
      "notification POST /api/v1/notifications/publish", "main POST /api/v1/notifications/publish",
      "main PATCH /api/v1/repos/" + REPO + "/paths/anything"})
  void refusesADeclaredBodyAboveTheLimitFromTheHead(String target) throws Exception {
    String[] parts = target.split(" ");
    int port = parts[0].equals("main") ? dataPlane.port() : dataPlane.notificationPort();
    try (RawHttpConnection connection = new RawHttpConnection(port)) {
      long start = System.nanoTime();
      connection.send(parts[1] + " " + parts[2] + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token() + "\r\n"
          + "Content-Type: application/json\r\nContent-Length: 100000000\r\n\r\n");
      RawHttpConnection.Response response = connection.read();
      assertEquals(413, response.status());
      assertEquals("application/json", response.header("content-type"));
      assertTrue(connection.closedByServer());
      assertTrue(System.nanoTime() - start < Duration.ofSeconds(2).toNanos());
    }
  }

  @Test
  void answersAnIncompleteHeadWith408AfterTheHeaderTimeout() throws Exception {
    double timedOutBefore = meter("cvmfs_http_connections_timed_out_total{server=\"main\"}");
    try (RawHttpConnection connection = new RawHttpConnection(dataPlane.port())) {
      long start = System.nanoTime();
      connection.send("GET /healthz HT");
      RawHttpConnection.Response response = connection.read();
      long elapsed = System.nanoTime() - start;
      assertEquals(408, response.status());
      assertTrue(connection.closedByServer());
      assertTrue(elapsed >= HEADER_TIMEOUT.toNanos() - 50_000_000L, "after " + elapsed);
    }
    assertTrue(meter("cvmfs_http_connections_timed_out_total{server=\"main\"}") >= timedOutBefore + 1);
    assertTrue(meter("cvmfs_http_connections_open{server=\"main\"}") >= 0);
    assertEquals(0, meter("cvmfs_http_connections_refused_total{server=\"notification\"}"));
  }

  private static double meter(String series) {
    return dataPlane.metrics().scrape().lines().filter(line -> line.startsWith(series + " "))
        .mapToDouble(line -> Double.parseDouble(line.substring(series.length() + 1))).findFirst().orElseThrow();
  }

  @Test
  void closesAKeepAliveConnectionAfterTheIdleTimeout() throws Exception {
    try (RawHttpConnection connection = new RawHttpConnection(dataPlane.port())) {
      connection.send(request("GET", "/healthz"));
      assertEquals(200, connection.read().status());
      long start = System.nanoTime();
      assertTrue(connection.closedByServer());
      assertTrue(System.nanoTime() - start >= IDLE_TIMEOUT.toNanos() - 50_000_000L);
    }
  }

  @Test
  void keepsAnEventStreamOpenPastTheTimeouts() throws Exception {
    byte[] body = ("{\"version\":1,\"repository\":\"" + REPO + "\"}").getBytes(StandardCharsets.US_ASCII);
    try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), dataPlane.notificationPort())) {
      socket.getOutputStream().write(("GET /api/v1/notifications/subscribe HTTP/1.1\r\nHost: x\r\nContent-Length: "
          + body.length + "\r\n\r\n" + latin1(body)).getBytes(StandardCharsets.ISO_8859_1));
      socket.setSoTimeout(200);
      InputStream in = socket.getInputStream();
      long deadline = System.nanoTime() + IDLE_TIMEOUT.plus(HEADER_TIMEOUT).plusMillis(700).toNanos();
      StringBuilder received = new StringBuilder();
      byte[] buffer = new byte[4096];
      while (System.nanoTime() < deadline) {
        try {
          int n = in.read(buffer);
          if (n < 0) {
            fail("the stream was closed; received: " + received);
          }
          received.append(new String(buffer, 0, n, StandardCharsets.ISO_8859_1));
        } catch (SocketTimeoutException e) {
          // still open
        }
      }
      assertTrue(received.toString().startsWith("HTTP/1.1 200 OK"), received.toString());
    }
  }

  @Test
  void refusesConnectionsBeyondThePerClientLimit() throws Exception {
    HttpServerConfig config = HttpServerConfig.defaults().withAddress("127.0.0.1", 0)
        .withConnectionLimits(new ConnectionLimits(Duration.ofSeconds(10), Duration.ofSeconds(60), 0, 3));
    try (HttpServer server = HttpServer.builder(config).build()) {
      int port = server.start();
      List<RawHttpConnection> open = new ArrayList<>();
      try {
        for (int i = 0; i < 3; i++) {
          open.add(new RawHttpConnection(port));
        }
        try (RawHttpConnection fourth = new RawHttpConnection(port)) {
          boolean refused;
          try {
            fourth.send(request("GET", "/x"));
            refused = fourth.closedByServer();
          } catch (IOException e) {
            refused = true;
          }
          assertTrue(refused);
        }
        for (RawHttpConnection connection : open) {
          connection.send(request("GET", "/x"));
          assertEquals(404, connection.read().status());
        }
        assertEquals(1, server.connections().refused());
        assertEquals(3, server.connections().open());
        open.remove(0).close();
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (server.connections().open() > 2 && System.nanoTime() < deadline) {
          Thread.sleep(20);
        }
        try (RawHttpConnection again = new RawHttpConnection(port)) {
          again.send(request("GET", "/x"));
          assertEquals(404, again.read().status());
        }
      } finally {
        for (RawHttpConnection connection : open) {
          connection.close();
        }
      }
    }
  }

  @Test
  void removesTheTemporaryFilesOfCutMultipartUploads() throws Exception {
    Path scratch = DataLayout.of(data, null).scratch(REPO);
    Path tmpdir = Path.of(System.getProperty("java.io.tmpdir"));
    List<Path> globalBefore = uploadFiles(tmpdir);
    byte[] chunk = new byte[256 * 1024];
    java.util.Set<Path> seen = new java.util.HashSet<>();
    for (int i = 0; i < 5; i++) {
      try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), dataPlane.port())) {
        OutputStream out = socket.getOutputStream();
        out.write(("POST /repos/" + REPO + "?ttl_s=600 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token() + "\r\n"
            + "Content-Type: multipart/form-data; boundary=cut\r\nContent-Length: 100000000\r\n\r\n"
            + "--cut\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big" + i + ".bin\"\r\n"
            + "Content-Type: application/octet-stream\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
        for (int k = 0; k < 4; k++) {
          out.write(chunk);
        }
        out.flush();
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (seen.containsAll(uploadFiles(scratch)) && System.nanoTime() < deadline) {
          Thread.sleep(20);
        }
        assertFalse(seen.containsAll(uploadFiles(scratch)), "the upload is written to the scratch folder");
        seen.addAll(uploadFiles(scratch));
      }
    }
    long deadline = System.nanoTime() + 5_000_000_000L;
    while (!uploadFiles(scratch).isEmpty() && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertEquals(List.of(), uploadFiles(scratch));
    assertEquals(globalBefore, uploadFiles(tmpdir));
    try (RawHttpConnection connection = new RawHttpConnection(dataPlane.port())) {
      connection.send(request("GET", "/repos/" + REPO));
      assertEquals(200, connection.read().status());
    }
  }

  private static List<Path> uploadFiles(Path directory) throws IOException {
    if (!Files.isDirectory(directory)) {
      return List.of();
    }
    try (Stream<Path> files = Files.list(directory)) {
      return files.filter(f -> f.getFileName().toString().startsWith("FUp_")).sorted().toList();
    }
  }
}
