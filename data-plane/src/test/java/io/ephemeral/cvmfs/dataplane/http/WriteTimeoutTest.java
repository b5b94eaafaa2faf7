package io.ephemeral.cvmfs.dataplane.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ephemeral.cvmfs.dataplane.server.DataPlane;
import io.ephemeral.cvmfs.dataplane.server.DataPlaneConfig;
import io.ephemeral.cvmfs.dataplane.testsupport.RawHttpConnection;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A client that asks for a large object and reads nothing is cut after the write timeout; one that
 * reads slowly is not, neither by the write timeout nor by the idle timeout, which is shorter here
 * than the download.
 */
class WriteTimeoutTest {

  private static final String REPO = "stall.example.org";
  private static final Duration WRITE_TIMEOUT = Duration.ofMillis(1500);
  private static final int SIZE = 32 << 20;
  private static final String OBJECT = "data/ab/" + "c".repeat(38);

  @TempDir static Path data;
  private static DataPlane dataPlane;

  @BeforeAll
  static void start() throws IOException {
    dataPlane = DataPlane.start(DataPlaneConfig.local(data, List.of(REPO))
        .withHousekeepingInterval(Duration.ofHours(1))
        .withConnections(new ConnectionLimits(Duration.ofSeconds(10), Duration.ofMillis(1000), 0, 0, WRITE_TIMEOUT)));
    // Larger than any socket buffers between the two ends: a client that reads nothing stalls it.
    Path object = data.resolve(REPO).resolve(OBJECT);
    Files.createDirectories(object.getParent());
    byte[] content = new byte[SIZE];
    new Random(1).nextBytes(content);
    Files.write(object, content);
  }

  @AfterAll
  static void stop() {
    if (dataPlane != null) {
      dataPlane.close();
    }
  }

  static Socket stalledDownload(int port, String target) throws IOException {
    Socket socket = new Socket();
    socket.setReceiveBufferSize(4096);
    socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
    socket.getOutputStream().write(("GET " + target + " HTTP/1.1\r\nHost: x\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
    socket.getOutputStream().flush();
    return socket;
  }

  @Test
  void aClientThatStopsReadingIsCutAfterTheWriteTimeout() throws Exception {
    int baseline = openConnections();
    double stalledBefore = meter("cvmfs_http_connections_write_stalled_total{server=\"main\"}");
    try (Socket socket = stalledDownload(dataPlane.port(), "/cvmfs/" + REPO + "/" + OBJECT)) {
      long start = System.nanoTime();
      waitFor(() -> openConnections() > baseline, Duration.ofSeconds(5));
      // Closed on the server once nothing moved for the timeout (checked four times per timeout), under load too.
      waitFor(() -> openConnections() <= baseline, WRITE_TIMEOUT.multipliedBy(2).plusSeconds(10));
      long elapsed = System.nanoTime() - start;
      assertTrue(elapsed >= WRITE_TIMEOUT.toNanos(), "closed after " + elapsed / 1_000_000 + " ms");
      assertEquals(stalledBefore + 1, meter("cvmfs_http_connections_write_stalled_total{server=\"main\"}"));
      // What was in flight still arrives, then the end: far less than the object.
      socket.setSoTimeout(10_000);
      long received = drain(socket.getInputStream());
      assertTrue(received < SIZE, "received " + received);
    }
    assertEquals(baseline, openConnections());
  }

  @Test
  void aClientThatStopsReadingAPublishedFileIsCutToo() throws Exception {
    // The compatibility API streams a file from a worker thread, which waits whenever the socket is full.
    byte[] content = new byte[24 << 20];
    new Random(3).nextBytes(content);
    String token = Files.readString(data.resolve("keys").resolve(REPO + ".token")).strip();
    try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), dataPlane.port())) {
      socket.setSoTimeout(60_000);
      socket.getOutputStream().write(("PUT /api/v1/repos/" + REPO + "/paths/big.bin?format=file HTTP/1.1\r\nHost: x\r\n"
          + "Authorization: Bearer " + token + "\r\nContent-Length: " + content.length + "\r\nConnection: close\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      socket.getOutputStream().write(content);
      String answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
      assertTrue(answer.startsWith("HTTP/1.1 201 "), answer);
    }
    int baseline = openConnections();
    double stalledBefore = meter("cvmfs_http_connections_write_stalled_total{server=\"main\"}");
    try (Socket socket = stalledDownload(dataPlane.port(), "/repos/" + REPO + "/big.bin")) {
      waitFor(() -> meter("cvmfs_http_connections_write_stalled_total{server=\"main\"}") > stalledBefore,
          WRITE_TIMEOUT.multipliedBy(2).plusSeconds(10));
      waitFor(() -> openConnections() <= baseline, Duration.ofSeconds(10));
      socket.setSoTimeout(10_000);
      assertTrue(drain(socket.getInputStream()) < content.length);
    }
    // The worker that streamed it is free again: the server answers.
    try (RawHttpConnection connection = new RawHttpConnection(dataPlane.port())) {
      connection.send(RawHttpConnection.request("GET", "/repos/" + REPO));
      assertEquals(200, connection.read().status());
    }
  }

  @Test
  void aSlowReaderIsNotCut() throws Exception {
    String slowObject = "data/ab/" + "d".repeat(38);
    Path object = data.resolve(REPO).resolve(slowObject);
    byte[] content = new byte[6 << 20];
    new Random(2).nextBytes(content);
    Files.write(object, content);
    try (Socket socket = stalledDownload(dataPlane.port(), "/cvmfs/" + REPO + "/" + slowObject)) {
      socket.setSoTimeout(10_000);
      InputStream in = socket.getInputStream();
      // A few KiB now and then, well inside the timeout, for longer than the timeout.
      long deadline = System.nanoTime() + WRITE_TIMEOUT.multipliedBy(2).toNanos();
      byte[] buffer = new byte[8192];
      long got = 0;
      while (System.nanoTime() < deadline) {
        int n = in.read(buffer);
        assertTrue(n > 0, "cut after " + got + " bytes");
        got += n;
        Thread.sleep(100);
      }
      // The rest arrives whole (the response head makes it more than the object); keep-alive leaves it open.
      while (got <= content.length) {
        int n = in.read(buffer);
        assertTrue(n > 0, "cut after " + got + " bytes");
        got += n;
      }
    } finally {
      Files.delete(object);
    }
  }

  static long drain(InputStream in) throws IOException {
    byte[] buffer = new byte[1 << 16];
    long total = 0;
    try {
      for (int n; (n = in.read(buffer)) >= 0; ) {
        total += n;
      }
    } catch (java.net.SocketException e) {
      // reset: the end too
    }
    return total;
  }

  private static int openConnections() {
    return (int) meter("cvmfs_http_connections_open{server=\"main\"}");
  }

  private static double meter(String series) {
    return dataPlane.metrics().scrape().lines().filter(line -> line.startsWith(series + " "))
        .mapToDouble(line -> Double.parseDouble(line.substring(series.length() + 1))).findFirst().orElseThrow();
  }

  private static void waitFor(java.util.function.BooleanSupplier condition, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      assertTrue(System.nanoTime() < deadline, "not within " + timeout);
      Thread.sleep(20);
    }
  }
}
