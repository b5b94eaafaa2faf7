package io.ephemeral.cvmfs.dataplane.abuse;

import static io.ephemeral.cvmfs.dataplane.testsupport.RawHttpConnection.request;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ephemeral.cvmfs.dataplane.http.ConnectionLimits;
import io.ephemeral.cvmfs.dataplane.publish.PublicationPolicy;
import io.ephemeral.cvmfs.dataplane.repository.DataLayout;
import io.ephemeral.cvmfs.dataplane.repository.Repository;
import io.ephemeral.cvmfs.dataplane.server.DataPlane;
import io.ephemeral.cvmfs.dataplane.server.DataPlaneConfig;
import io.ephemeral.cvmfs.dataplane.testsupport.HostileCorpus;
import io.ephemeral.cvmfs.dataplane.testsupport.RawHttpConnection;
import io.ephemeral.cvmfs.dataplane.testsupport.Tars;
import io.netty.handler.codec.http.multipart.DiskAttribute;
import io.netty.handler.codec.http.multipart.DiskFileUpload;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One case per class of hostile input against one real data plane on loopback, each followed by the
 * same checks: the server is alive ({@code /readyz} 200), the revision is unchanged, and nothing
 * is left behind: file descriptors of this JVM, connections, bytes in the data directory, scratch
 * and upload folders, Netty's upload files. The focused tests (HostileArchiveTest, ApiLimitsTest,
 * ConnectionHandlingTest, WriteTimeoutTest) check the refusals in detail; this suite checks that
 * each refusal cleans up after itself. The archives come from {@link HostileCorpus}.
 *
 * <p>Limits are the defaults except where a case would take too long: the publication policy is
 * the small one of ApiLimitsTest (file 1 MiB, publication 4 MiB, 100 entries, expansion ratio 100),
 * and the header, idle and write timeouts are short.
 */
class AbuseSuiteTest {

  private static final String REPO = "abuse.example.org";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final PublicationPolicy POLICY = new PublicationPolicy(Duration.ofHours(2), Duration.ofDays(7),
      1 << 20, 4 << 20, 100, 100, Duration.ofHours(1));
  private static final ConnectionLimits LIMITS = new ConnectionLimits(Duration.ofMillis(1000), Duration.ofMillis(1500),
      ConnectionLimits.DEFAULT.maxConnections(), ConnectionLimits.DEFAULT.maxConnectionsPerClient(),
      Duration.ofMillis(1500));
  private static final String BIG_OBJECT = "data/ab/" + "e".repeat(38);
  private static final int BIG_OBJECT_SIZE = 24 << 20;
  /** Descriptors the JVM may hold beyond the count before a case: a lazily started thread's, a GC's. */
  private static final int FD_SLACK = 2;
  private static final long DISK_SLACK = 256 << 10;

  @TempDir static Path data;
  @TempDir static Path nettyUploads;
  private static DataPlane dataPlane;
  private static DataLayout layout;
  private static String token;

  private byte[] manifestBefore;
  private long fdsBefore;
  private long diskBefore;
  private double openBefore;
  private List<Path> globalUploadFilesBefore;

  @BeforeAll
  static void start() throws IOException {
    // Where Netty would put upload files without a directory of their own: checked empty after each case.
    DiskFileUpload.baseDirectory = nettyUploads.toString();
    DiskAttribute.baseDirectory = nettyUploads.toString();
    dataPlane = DataPlane.start(DataPlaneConfig.local(data, List.of(REPO)).withPolicy(POLICY).withConnections(LIMITS)
        .withHousekeepingInterval(Duration.ofHours(1)));
    layout = DataLayout.of(data, null);
    token = Files.readString(data.resolve("keys").resolve(REPO + ".token")).strip();
    // An object larger than any socket buffers, for the client that stops reading.
    Path object = data.resolve(REPO).resolve(BIG_OBJECT);
    Files.createDirectories(object.getParent());
    byte[] content = new byte[BIG_OBJECT_SIZE];
    new Random(7).nextBytes(content);
    Files.write(object, content);
    // Threads and pools start on first use: once through the paths the cases take.
    assertEquals(200, get(dataPlane.port(), "/readyz").status());
    put("warm-up", HostileCorpus.corruptChecksum());
    put("warm-up?format=docker-archive", HostileCorpus.corruptChecksum());
  }

  @AfterAll
  static void stop() {
    if (dataPlane != null) {
      dataPlane.close();
    }
    DiskFileUpload.baseDirectory = null;
    DiskAttribute.baseDirectory = null;
  }

  @BeforeEach
  void snapshot() throws IOException {
    manifestBefore = manifest();
    fdsBefore = openFileDescriptors();
    diskBefore = diskUsage(data);
    openBefore = meter("cvmfs_http_connections_open{server=\"main\"}");
    globalUploadFilesBefore = nettyFiles(Path.of(System.getProperty("java.io.tmpdir")));
  }

  @AfterEach
  void nothingChangedAndNothingLeft() throws Exception {
    assertEquals(200, get(dataPlane.port(), "/readyz").status(), "the server is alive");
    assertArrayEquals(manifestBefore, manifest(), "the revision is unchanged");
    waitFor("connections back to " + openBefore,
        () -> meter("cvmfs_http_connections_open{server=\"main\"}") <= openBefore);
    waitFor("file descriptors back to " + fdsBefore + " (+" + FD_SLACK + ")",
        () -> openFileDescriptors() <= fdsBefore + FD_SLACK);
    waitFor("disk usage back to " + diskBefore, () -> diskUsage(data) <= diskBefore + DISK_SLACK);
    waitFor("scratch places empty", () -> leftovers().isEmpty());
    assertEquals(List.of(), list(nettyUploads), "Netty's upload directory");
    assertEquals(globalUploadFilesBefore, nettyFiles(Path.of(System.getProperty("java.io.tmpdir"))),
        "Netty upload files in java.io.tmpdir");
  }

  // ---------------------------------------------------------------------------------------------
  // Archives

  @Test
  void oversizedImageArchiveIsRefusedWhileSpoolingStaysBounded() throws Exception {
    // Declared larger than the spool may hold: refused from the member's header.
    assertError(put("bomb?format=docker-archive", HostileCorpus.zstdBomb(64L << 20)), 413, "larger than the limit of");
    // Within the spool's size, but a hundred times what arrived: refused while spooling.
    assertError(put("ratio?format=docker-archive", HostileCorpus.zstdBomb(12L << 20)), 413, "100 times its size");
  }

  @Test
  void imageArchiveWithTooManyMembers() throws Exception {
    assertError(put("members?format=oci-archive", HostileCorpus.manyMembers(3000)), 413, "entries");
  }

  @Test
  void expansionThroughHardLinksAndSymlinkTargets() throws Exception {
    assertError(put("hardlinks", Tars.gzip(HostileCorpus.hardLinkBomb(90))), 413, "expands past");
    assertError(put("symlinks", HostileCorpus.symlinkExpansion(50)), 413, "expands past the limit of " + (4 << 20));
  }

  @Test
  void thirtyThousandLevelsDeep() throws Exception {
    assertError(put("deep", HostileCorpus.deepPath(30_000)), 400, "PATH_MAX");
  }

  @Test
  void namesOfHundredKilobytes() throws Exception {
    assertError(put("long", HostileCorpus.longPaxNames(20)), 400, "4096 bytes");
  }

  @Test
  void namesThatAreNotUtf8InAMemberAndInTheUrl() throws Exception {
    assertError(put("latin1", HostileCorpus.latin1Member()), 400, "not valid UTF-8");
    assertError(put("bad%FFpath", Tars.tar().file("ok", "ok").bytes()), 400, "not valid UTF-8");
  }

  @Test
  void corruptHeaderChecksum() throws Exception {
    assertError(put("corrupt", HostileCorpus.corruptChecksum()), 400, "checksum");
  }

  @Test
  void truncatedArchive() throws Exception {
    assertError(put("truncated", HostileCorpus.truncated()), 400, "truncated");
  }

  @Test
  void bytesThatAreNoContentCrossTheUploadLimit() throws Exception {
    long limit = dataPlane.service().maxUploadBytes();
    byte[] member = HostileCorpus.paddedMember(1 << 20);
    try (Socket socket = connect(dataPlane.port())) {
      OutputStream out = socket.getOutputStream();
      out.write(ascii("PUT /api/v1/repos/" + REPO + "/paths/padding HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
          + token + "\r\nTransfer-Encoding: chunked\r\n\r\n"));
      Thread sender = new Thread(() -> {
        try {
          for (long sent = 0; sent < 2 * limit; sent += member.length) {
            out.write(ascii(Integer.toHexString(member.length) + "\r\n"));
            out.write(member);
            out.write(ascii("\r\n"));
          }
        } catch (IOException e) {
          // the server stopped reading: expected
        }
      });
      sender.setDaemon(true);
      sender.start();
      assertError(response(socket.getInputStream()), 413, "larger than the limit of " + limit + " bytes");
      socket.close();
      sender.join(10_000);
      assertFalse(sender.isAlive());
    }
  }

  // ---------------------------------------------------------------------------------------------
  // HTTP

  @Test
  void bodyShorterThanItsContentLength() throws Exception {
    byte[] tar = Tars.tar().file("complete", "the archive is whole, the body is not").bytes();
    try (Socket socket = connect(dataPlane.port())) {
      OutputStream out = socket.getOutputStream();
      out.write(ascii("PUT /api/v1/repos/" + REPO + "/paths/short HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token
          + "\r\nContent-Length: " + (tar.length + 4096) + "\r\n\r\n"));
      out.write(tar);
      out.flush();
      Thread.sleep(300);
      socket.shutdownOutput();
      String answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
      // The client hung up: there is no one to answer, and nothing may be published.
      assertFalse(answer.contains(" 201 "), answer);
    }
  }

  @Test
  void pipelinedPutAndGetAreAnsweredInOrder() throws Exception {
    byte[] corrupt = HostileCorpus.corruptChecksum();
    try (RawHttpConnection connection = new RawHttpConnection(dataPlane.port())) {
      connection.send(("PUT /api/v1/repos/" + REPO + "/paths/pipelined HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
          + token + "\r\nContent-Length: " + corrupt.length + "\r\n\r\n" + new String(corrupt, StandardCharsets.ISO_8859_1)
          + request("GET", "/readyz")));
      assertError(connection.read(), 400, "checksum");
      assertEquals(200, connection.read().status());
    }
  }

  @Test
  void unknownMethodOnBothPorts() throws Exception {
    for (int port : new int[] {dataPlane.port(), dataPlane.notificationPort()}) {
      try (RawHttpConnection connection = new RawHttpConnection(port)) {
        connection.send("BREW /readyz HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc" + request("GET", "/readyz"));
        assertError(connection.read(), 501, "BREW");
        connection.read(); // the connection goes on
      }
    }
  }

  @Test
  void oversizedDeclaredContentLengthOnBothPorts() throws Exception {
    long limit = dataPlane.service().maxUploadBytes();
    for (int port : new int[] {dataPlane.port(), dataPlane.notificationPort()}) {
      for (String head : List.of("PUT /api/v1/repos/" + REPO + "/paths/declared", "POST /api/v1/notifications/publish")) {
        try (RawHttpConnection connection = new RawHttpConnection(port)) {
          connection.send(head + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token + "\r\nContent-Length: "
              + (limit + 1) + "\r\n\r\n");
          assertError(connection.read(), 413, "at most " + limit + " bytes");
          assertTrue(connection.closedByServer());
        }
      }
    }
  }

  @Test
  void slowHeaderTrickle() throws Exception {
    try (RawHttpConnection connection = new RawHttpConnection(dataPlane.port())) {
      long start = System.nanoTime();
      connection.send("GET /readyz HTTP/1.1\r\n");
      try {
        for (int i = 0; i < 40; i++) {
          connection.send("X");
          Thread.sleep(100);
        }
      } catch (IOException e) {
        // closed after the 408
      }
      assertError(connection.read(), 408, "took too long");
      assertTrue(connection.closedByServer());
      assertTrue(System.nanoTime() - start < Duration.ofSeconds(6).toNanos());
    }
  }

  @Test
  void idleConnections() throws Exception {
    try (RawHttpConnection silent = new RawHttpConnection(dataPlane.port());
        RawHttpConnection kept = new RawHttpConnection(dataPlane.port())) {
      kept.send(request("GET", "/readyz"));
      assertEquals(200, kept.read().status());
      assertTrue(silent.closedByServer(), "a connection that never sends is closed");
      assertTrue(kept.closedByServer(), "a keep-alive connection is closed once idle");
    }
  }

  @Test
  void abortedMultipartUpload() throws Exception {
    Path scratch = layout.scratch(REPO);
    try (Socket socket = connect(dataPlane.port())) {
      OutputStream out = socket.getOutputStream();
      out.write(ascii("POST /repos/" + REPO + "?ttl_s=600 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token + "\r\n"
          + "Content-Type: multipart/form-data; boundary=cut\r\nContent-Length: 30000000\r\n\r\n"
          + "--cut\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.bin\"\r\n"
          + "Content-Type: application/octet-stream\r\n\r\n"));
      out.write(new byte[1 << 20]);
      out.flush();
      waitFor("the upload is spooled to the scratch folder", () -> !list(scratch).isEmpty());
    }
  }

  @Test
  void clientThatStopsReading() throws Exception {
    double stalled = meter("cvmfs_http_connections_write_stalled_total{server=\"main\"}");
    Socket socket = new Socket();
    try (socket) {
      socket.setReceiveBufferSize(4096);
      socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), dataPlane.port()));
      socket.getOutputStream().write(ascii("GET /cvmfs/" + REPO + "/" + BIG_OBJECT + " HTTP/1.1\r\nHost: x\r\n\r\n"));
      waitFor("the stalled connection is closed by the server",
          () -> meter("cvmfs_http_connections_write_stalled_total{server=\"main\"}") > stalled);
    }
  }

  // ---------------------------------------------------------------------------------------------

  private static RawHttpConnection.Response put(String path, byte[] body) throws IOException {
    try (RawHttpConnection connection = new RawHttpConnection(dataPlane.port())) {
      connection.socket().setSoTimeout(30_000);
      ByteArrayOutputStream request = new ByteArrayOutputStream();
      request.writeBytes(ascii("PUT /api/v1/repos/" + REPO + "/paths/" + path + " HTTP/1.1\r\nHost: x\r\n"
          + "Authorization: Bearer " + token + "\r\nContent-Length: " + body.length + "\r\n\r\n"));
      request.writeBytes(body);
      try {
        connection.send(request.toByteArray());
      } catch (IOException e) {
        // refused before the whole body went out: the answer is still there to read
      }
      return connection.read();
    }
  }

  private static RawHttpConnection.Response get(int port, String target) throws IOException {
    try (RawHttpConnection connection = new RawHttpConnection(port)) {
      connection.send(request("GET", target));
      return connection.read();
    }
  }

  /** Reads one response with a Content-Length from {@code in}. */
  private static RawHttpConnection.Response response(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
      int c = in.read();
      if (c < 0) {
        fail("closed before a response: " + head);
      }
      head.write(c);
    }
    String[] lines = head.toString(StandardCharsets.ISO_8859_1).split("\r\n");
    java.util.Map<String, String> headers = new java.util.TreeMap<>();
    for (int i = 1; i < lines.length; i++) {
      int colon = lines[i].indexOf(':');
      headers.put(lines[i].substring(0, colon).trim().toLowerCase(java.util.Locale.ROOT), lines[i].substring(colon + 1).trim());
    }
    byte[] body = in.readNBytes(Integer.parseInt(headers.get("content-length")));
    return new RawHttpConnection.Response(Integer.parseInt(lines[0].split(" ")[1]), headers, body);
  }

  private static void assertError(RawHttpConnection.Response response, int status, String detail) throws IOException {
    String body = new String(response.body(), StandardCharsets.UTF_8);
    assertEquals(status, response.status(), body);
    assertEquals("application/json", response.header("content-type"), body);
    JsonNode error = JSON.readTree(body);
    assertTrue(error.path("error").isTextual(), body);
    assertTrue(error.path("detail").asText().contains(detail), "'" + detail + "' not in " + body);
  }

  private static Socket connect(int port) throws IOException {
    Socket socket = new Socket(InetAddress.getLoopbackAddress(), port);
    socket.setSoTimeout(30_000);
    return socket;
  }

  private static byte[] ascii(String text) {
    return text.getBytes(StandardCharsets.ISO_8859_1);
  }

  private static byte[] manifest() throws IOException {
    return Files.readAllBytes(data.resolve(REPO).resolve(Repository.MANIFEST));
  }

  private static long openFileDescriptors() {
    try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
      return fds.count();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static long diskUsage(Path root) {
    try (Stream<Path> files = Files.walk(root)) {
      return files.filter(Files::isRegularFile).mapToLong(file -> {
        try {
          return Files.size(file);
        } catch (IOException e) {
          return 0; // removed while walking
        }
      }).sum();
    } catch (IOException | java.io.UncheckedIOException e) {
      return Long.MAX_VALUE; // changed while walking: asked again
    }
  }

  /** What a refused publication may have left: scratch, partial uploads, transactions, temporary files. */
  private static List<Path> leftovers() {
    List<Path> left = new java.util.ArrayList<>();
    left.addAll(list(layout.scratch(REPO)));
    left.addAll(list(layout.uploads(REPO)));
    left.addAll(list(data.resolve(REPO).resolve("data").resolve("txn")));
    for (Path tree : List.of(data.resolve(REPO), layout.state(REPO))) {
      try (Stream<Path> files = Files.walk(tree)) {
        files.filter(f -> f.getFileName().toString().endsWith(".tmp")).forEach(left::add);
      } catch (IOException | java.io.UncheckedIOException e) {
        left.add(tree); // changed while walking: asked again
      }
    }
    return left;
  }

  private static List<Path> list(Path directory) {
    if (!Files.isDirectory(directory)) {
      return List.of();
    }
    try (Stream<Path> files = Files.list(directory)) {
      return files.sorted().toList();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static List<Path> nettyFiles(Path directory) {
    return list(directory).stream().filter(f -> f.getFileName().toString().startsWith("FUp_")
        || f.getFileName().toString().startsWith("Attr_")).toList();
  }

  private static double meter(String series) {
    return dataPlane.metrics().scrape().lines().filter(line -> line.startsWith(series + " "))
        .mapToDouble(line -> Double.parseDouble(line.substring(series.length() + 1))).findFirst().orElseThrow();
  }

  private static void waitFor(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        fail(what + ": not within 10 s");
      }
      Thread.sleep(25);
    }
  }
}
