package io.ephemeral.cvmfs.dataplane.http;

import static io.ephemeral.cvmfs.dataplane.testsupport.RawHttpConnection.request;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.ephemeral.cvmfs.dataplane.testsupport.RawHttpConnection;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse.BodyHandlers;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Arrays;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class HttpServerTest {

  private static final String FQRN = "repo.example.org";
  private static final String BASE = "/cvmfs/" + FQRN;
  private static final String BIG = "data/ab/" + "0123456789abcdef0123456789abcdef012345" + "C";
  private static final String EMPTY_ZLIB = "data/e8/ec3d88b62ebf526e4e5a4ff6162a3aa48a6b78";
  private static final String RMD160 = "data/fc/db20b894f31f1306d56294c049ca7293dde0fc-rmd160";
  private static final String SHAKE128 = "data/28/d94b83b7229b331fc601362b8e272e02665122-shake128P";
  private static final String SYMLINK = "data/12/" + "11111111111111111111111111111111111111";
  private static final String DIRECTORY = "data/34/" + "33333333333333333333333333333333333333";
  private static final byte[] MANIFEST = "Cabc\nD900\nNrepo.example.org\n--\nsig\n"
      .getBytes(StandardCharsets.US_ASCII);
  private static final byte[] PUB = "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"
      .getBytes(StandardCharsets.US_ASCII);

  @TempDir static Path tmp;
  private static Path root;
  private static byte[] big;
  private static HttpServer server;
  private static int port;
  private static HttpClient client;
  private static ServedRepositories served;

  @BeforeAll
  static void start() throws IOException {
    root = tmp.resolve("srv").resolve(FQRN);
    Files.createDirectories(root.resolve("data/txn"));
    Files.write(root.resolve(".cvmfspublished"), MANIFEST);
    Files.writeString(root.resolve(".cvmfswhitelist"), "20240101000000\nE20990101000000\n");
    Files.write(root.resolve(".cvmfsreflog"), new byte[] {'S', 'Q', 'L', 0, 1, 2});
    Files.createFile(root.resolve(".cvmfs_master_replica"));
    Files.writeString(root.resolve(".cvmfs_status.json"), "{\"last_gc\":\"never\"}");
    big = new byte[5 * 1024 * 1024 + 7];
    new Random(42).nextBytes(big);
    write(BIG, big);
    write(EMPTY_ZLIB, new byte[] {0x78, (byte) 0x9c, 3, 0, 0, 0, 0, 1});
    write(RMD160, "rmd160".getBytes(StandardCharsets.US_ASCII));
    write(SHAKE128, "shake128".getBytes(StandardCharsets.US_ASCII));
    Path secret = Files.writeString(tmp.resolve("secret.txt"), "outside the tree");
    Files.createDirectories(root.resolve(SYMLINK).getParent());
    Files.createSymbolicLink(root.resolve(SYMLINK), secret);
    Files.createDirectories(root.resolve(DIRECTORY));
    write("data/txn/" + "5".repeat(40), "in transaction".getBytes(StandardCharsets.US_ASCII));

    ServedRepositories repositories = new ServedRepositories() {
      @Override
      public Optional<Path> root(String fqrn) {
        return FQRN.equals(fqrn) ? Optional.of(root) : Optional.empty();
      }

      @Override
      public Optional<MetaFile> meta(String fqrn, String name) {
        if (!FQRN.equals(fqrn)) {
          return Optional.empty();
        }
        return switch (name.substring(fqrn.length())) {
          case ".pub" -> Optional.of(new MetaFile(PUB, "application/x-pem-file"));
          case ".conf" -> Optional.of(new MetaFile(
              "CVMFS_HTTP_PROXY=DIRECT\n".getBytes(StandardCharsets.US_ASCII), "text/plain"));
          default -> Optional.empty();
        };
      }
    };
    HttpServerConfig config = new HttpServerConfig(
        "127.0.0.1", 0, Duration.ofSeconds(61), Duration.ofDays(3), 2, 2, Duration.ofSeconds(30),
        HttpServerConfig.DEFAULT_OBJECT_CACHE_BYTES);
    served = repositories;
    server = HttpServer.builder(config).repositories(repositories).build();
    port = server.start();
    client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  }

  @AfterAll
  static void stop() {
    if (server != null) {
      server.close();
    }
  }

  private static void write(String path, byte[] content) throws IOException {
    Path file = root.resolve(path);
    Files.createDirectories(file.getParent());
    Files.write(file, content);
  }

  private static HttpResponse<byte[]> send(String method, String path, String... headers)
      throws IOException, InterruptedException {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .method(method, method.equals("GET") || method.equals("HEAD")
            ? BodyPublishers.noBody()
            : BodyPublishers.ofString("payload"));
    if (headers.length > 0) {
      request.headers(headers);
    }
    return client.send(request.build(), BodyHandlers.ofByteArray());
  }

  private static HttpResponse<byte[]> get(String path, String... headers)
      throws IOException, InterruptedException {
    return send("GET", path, headers);
  }

  /** Cache-Control is the given max-age and Expires is Date plus that age. */
  private static void assertFreshFor(HttpHeaders headers, long seconds) {
    assertEquals("max-age=" + seconds, headers.firstValue("cache-control").orElseThrow());
    ZonedDateTime date = ZonedDateTime.parse(
        headers.firstValue("date").orElseThrow(), DateTimeFormatter.RFC_1123_DATE_TIME);
    ZonedDateTime expires = ZonedDateTime.parse(
        headers.firstValue("expires").orElseThrow(), DateTimeFormatter.RFC_1123_DATE_TIME);
    assertEquals(date.plusSeconds(seconds).toInstant(), expires.toInstant());
  }

  private static void assertNoValidatorsOrCoding(HttpHeaders headers) {
    assertTrue(headers.firstValue("etag").isEmpty());
    assertTrue(headers.firstValue("last-modified").isEmpty());
    assertTrue(headers.firstValue("content-encoding").isEmpty());
  }

  @Test
  void servesManifestAsCvmfsTypeWithShortCaching() throws Exception {
    HttpResponse<byte[]> response = get(BASE + "/.cvmfspublished");
    assertEquals(200, response.statusCode());
    assertArrayEquals(MANIFEST, response.body());
    HttpHeaders headers = response.headers();
    assertEquals("application/x-cvmfs", headers.firstValue("content-type").orElseThrow());
    assertEquals(MANIFEST.length, headers.firstValueAsLong("content-length").orElseThrow());
    assertFreshFor(headers, 61);
    assertNoValidatorsOrCoding(headers);
  }

  @ParameterizedTest
  @ValueSource(strings = {
      ".cvmfswhitelist", ".cvmfsreflog", ".cvmfs_master_replica", ".cvmfs_status.json"})
  void servesOtherDotCvmfsFilesLikeTheManifest(String name) throws Exception {
    HttpResponse<byte[]> response = get(BASE + "/" + name);
    assertEquals(200, response.statusCode());
    assertArrayEquals(Files.readAllBytes(root.resolve(name)), response.body());
    assertEquals("application/x-cvmfs", response.headers().firstValue("content-type").orElseThrow());
    assertEquals(response.body().length,
        response.headers().firstValueAsLong("content-length").orElseThrow());
    assertFreshFor(response.headers(), 61);
  }

  @Test
  void servesMultiMebibyteObjectByteExactWithLongCaching() throws Exception {
    HttpResponse<byte[]> response = get(BASE + "/" + BIG);
    assertEquals(200, response.statusCode());
    assertArrayEquals(big, response.body());
    HttpHeaders headers = response.headers();
    assertEquals("application/octet-stream", headers.firstValue("content-type").orElseThrow());
    assertEquals(big.length, headers.firstValueAsLong("content-length").orElseThrow());
    assertFreshFor(headers, 259200);
    assertNoValidatorsOrCoding(headers);
  }

  @ParameterizedTest
  @ValueSource(strings = {EMPTY_ZLIB, RMD160, SHAKE128})
  void servesEveryObjectNameForm(String object) throws Exception {
    HttpResponse<byte[]> response = get(BASE + "/" + object);
    assertEquals(200, response.statusCode());
    assertArrayEquals(Files.readAllBytes(root.resolve(object)), response.body());
    assertEquals("application/octet-stream",
        response.headers().firstValue("content-type").orElseThrow());
  }

  @Test
  void ignoresQueryString() throws Exception {
    HttpResponse<byte[]> response = get(BASE + "/.cvmfspublished?nocache=1");
    assertEquals(200, response.statusCode());
    assertArrayEquals(MANIFEST, response.body());
  }

  @Test
  void answersConditionalRequestsInFull() throws Exception {
    HttpResponse<byte[]> response = get(BASE + "/" + RMD160,
        "If-Modified-Since", "Sat, 01 Jan 2950 00:00:00 GMT", "If-None-Match", "*");
    assertEquals(200, response.statusCode());
    assertArrayEquals(Files.readAllBytes(root.resolve(RMD160)), response.body());
  }

  @Test
  void servesMetaFiles() throws Exception {
    HttpResponse<byte[]> pub = get("/cvmfs-meta/" + FQRN + ".pub");
    assertEquals(200, pub.statusCode());
    assertArrayEquals(PUB, pub.body());
    assertEquals("application/x-pem-file", pub.headers().firstValue("content-type").orElseThrow());
    assertFreshFor(pub.headers(), 61);
    assertEquals(200, get("/cvmfs-meta/" + FQRN + ".conf").statusCode());
    assertEquals(404, get("/cvmfs-meta/" + FQRN + ".crt").statusCode());
    assertEquals(404, get("/cvmfs-meta/other.example.org.pub").statusCode());
    assertEquals(404, get("/cvmfs-meta/" + FQRN + ".key").statusCode());
  }

  @Test
  void headHasLengthButNoBody() throws Exception {
    HttpResponse<byte[]> response = send("HEAD", BASE + "/" + BIG);
    assertEquals(200, response.statusCode());
    assertEquals(big.length, response.headers().firstValueAsLong("content-length").orElseThrow());
    assertEquals(0, response.body().length);
  }

  @Test
  void servesSingleRanges() throws Exception {
    HttpResponse<byte[]> first = get(BASE + "/" + BIG, "Range", "bytes=0-9");
    assertEquals(206, first.statusCode());
    assertArrayEquals(Arrays.copyOfRange(big, 0, 10), first.body());
    assertEquals("bytes 0-9/" + big.length, first.headers().firstValue("content-range").orElseThrow());
    assertEquals(10, first.headers().firstValueAsLong("content-length").orElseThrow());

    HttpResponse<byte[]> open = get(BASE + "/" + BIG, "Range", "bytes=" + (big.length - 100) + "-");
    assertEquals(206, open.statusCode());
    assertArrayEquals(Arrays.copyOfRange(big, big.length - 100, big.length), open.body());

    HttpResponse<byte[]> suffix = get(BASE + "/.cvmfspublished", "Range", "bytes=-4");
    assertEquals(206, suffix.statusCode());
    assertArrayEquals(Arrays.copyOfRange(MANIFEST, MANIFEST.length - 4, MANIFEST.length), suffix.body());

    HttpResponse<byte[]> meta = get("/cvmfs-meta/" + FQRN + ".pub", "Range", "bytes=5-9");
    assertEquals(206, meta.statusCode());
    assertArrayEquals(Arrays.copyOfRange(PUB, 5, 10), meta.body());
  }

  @Test
  void refusesUnsatisfiableRanges() throws Exception {
    HttpResponse<byte[]> beyond = get(BASE + "/" + RMD160, "Range", "bytes=100-");
    assertEquals(416, beyond.statusCode());
    assertEquals("bytes */6", beyond.headers().firstValue("content-range").orElseThrow());
    assertEquals(416, get(BASE + "/" + RMD160, "Range", "bytes=-0").statusCode());
  }

  @Test
  void answersMultipleOrMalformedRangesInFull() throws Exception {
    for (String range : new String[] {"bytes=0-1,3-4", "bytes=5-2", "lines=1-2", "bytes=-"}) {
      HttpResponse<byte[]> response = get(BASE + "/" + RMD160, "Range", range);
      assertEquals(200, response.statusCode(), range);
      assertEquals(6, response.body().length, range);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "/",
      "/cvmfs/",
      "/cvmfs/" + FQRN,
      "/cvmfs/" + FQRN + "/",
      "/cvmfs/other.example.org/.cvmfspublished",
      "/cvmfs/" + FQRN + "/.cvmfspublished.tmp",
      "/cvmfs/" + FQRN + "/.cvmfswhitelist.pkcs7",
      "/cvmfs/" + FQRN + "/data/AB/0123456789ABCDEF0123456789ABCDEF012345C",
      "/cvmfs/" + FQRN + "/data/ab/0123456789abcdef0123456789abcdef012345T",
      "/cvmfs/" + FQRN + "/data/ab/0123456789abcdef0123456789abcdef01234",
      "/cvmfs/" + FQRN + "/data/ab",
      "/cvmfs/" + FQRN + "/data/txn/5555555555555555555555555555555555555555",
      "/cvmfs/" + FQRN + "/" + SYMLINK,
      "/cvmfs/" + FQRN + "/" + DIRECTORY,
      "/cvmfs/" + FQRN + "/data/99/9999999999999999999999999999999999999",
      "/cvmfs/" + FQRN + "/../" + FQRN + "/.cvmfspublished",
      "/cvmfs/" + FQRN + "/data/ab/../../.cvmfspublished",
      "/cvmfs/" + FQRN + "/%2e%2e/" + FQRN + "/.cvmfspublished",
      "/cvmfs/" + FQRN + "/%2ecvmfspublished",
      "/cvmfs/repo.example.org%2f.cvmfspublished",
      "/cvmfs//" + FQRN + "/.cvmfspublished",
      "/cvmfs/" + FQRN + "//.cvmfspublished",
      "//cvmfs/" + FQRN + "/.cvmfspublished",
      "/cvmfs/" + FQRN + "/data//ab/0123456789abcdef0123456789abcdef012345C",
      "/cvmfs/.." + FQRN + "/.cvmfspublished",
      "/cvmfs/" + FQRN + "/./.cvmfspublished",
      "/cvmfs-meta/../" + FQRN + ".pub",
      "/cvmfs/" + FQRN + "/.cvmfspublished#x",
      "*",
  })
  void answers404ForEverythingElse(String target) throws Exception {
    try (RawHttpConnection connection = new RawHttpConnection(port)) {
      connection.send(request("GET", target));
      RawHttpConnection.Response response = connection.read();
      assertEquals(404, response.status(), target);
      assertEquals("Not Found\n", new String(response.body(), StandardCharsets.US_ASCII));
      assertEquals("text/plain", response.header("content-type"));
      assertNull(response.header("cache-control"));
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"POST", "PUT", "DELETE", "PATCH", "OPTIONS"})
  void answers405WithAllowForOtherMethods(String method) throws Exception {
    for (String path : new String[] {BASE + "/.cvmfspublished", "/nothing/here"}) {
      HttpResponse<byte[]> response = send(method, path);
      assertEquals(405, response.statusCode(), method + " " + path);
      assertEquals("GET, HEAD", response.headers().firstValue("allow").orElseThrow());
    }
  }

  @Test
  void discardsRequestBodiesAndKeepsTheConnection() throws Exception {
    try (RawHttpConnection connection = new RawHttpConnection(port)) {
      connection.send("POST " + BASE + "/.cvmfspublished HTTP/1.1\r\nHost: x\r\n"
          + "Content-Length: 11\r\n\r\nhello world"
          + "PUT /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
          + "5\r\nhello\r\n0\r\n\r\n"
          + "GET " + BASE + "/.cvmfspublished HTTP/1.1\r\nHost: x\r\n"
          + "Content-Length: 3\r\n\r\nabc"
          + request("GET", BASE + "/.cvmfspublished"));
      assertEquals(405, connection.read().status());
      assertEquals(405, connection.read().status());
      assertArrayEquals(MANIFEST, connection.read().body());
      assertArrayEquals(MANIFEST, connection.read().body());
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"POST /x", "GET " + BASE + "/.cvmfspublished"})
  void closesAfterABrokenBody(String requestLine) throws Exception {
    try (RawHttpConnection connection = new RawHttpConnection(port)) {
      connection.send(requestLine + " HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
          + "zz\r\n");
      assertTrue(connection.read().status() < 500);
      assertTrue(connection.closedByServer());
    }
  }

  @Test
  void reusesConnectionsAcrossRequests() throws Exception {
    try (RawHttpConnection connection = new RawHttpConnection(port)) {
      for (int i = 0; i < 3; i++) {
        connection.send(request("GET", BASE + "/.cvmfspublished"));
        RawHttpConnection.Response response = connection.read();
        assertEquals(200, response.status());
        assertArrayEquals(MANIFEST, response.body());
        assertFalse("close".equalsIgnoreCase(response.header("connection")));
        connection.send(request("GET", "/missing"));
        assertEquals(404, connection.read().status());
      }
    }
  }

  @Test
  void answersPipelinedRequestsInOrder() throws Exception {
    try (RawHttpConnection connection = new RawHttpConnection(port)) {
      // The large object first: had responses overtaken each other, the small ones would show.
      connection.send(request("GET", BASE + "/" + BIG)
          + request("GET", BASE + "/.cvmfspublished")
          + request("HEAD", BASE + "/" + BIG)
          + request("HEAD", "/missing")
          + "GET " + BASE + "/" + RMD160 + " HTTP/1.1\r\nHost: x\r\nRange: bytes=1-2\r\n\r\n"
          + request("GET", BASE + "/" + EMPTY_ZLIB));
      assertArrayEquals(big, connection.read().body());
      assertArrayEquals(MANIFEST, connection.read().body());
      RawHttpConnection.Response head = connection.read(true);
      assertEquals(200, head.status());
      assertEquals(String.valueOf(big.length), head.header("content-length"));
      RawHttpConnection.Response missingHead = connection.read(true);
      assertEquals(404, missingHead.status());
      assertEquals("10", missingHead.header("content-length"));
      RawHttpConnection.Response range = connection.read();
      assertEquals(206, range.status());
      assertEquals("md", new String(range.body(), StandardCharsets.US_ASCII));
      assertArrayEquals(Files.readAllBytes(root.resolve(EMPTY_ZLIB)), connection.read().body());
    }
  }

  @Test
  void answersFromMemoryForAWhileAfterReadingASmallObject() throws Exception {
    String object = "data/77/" + "7".repeat(38);
    byte[] content = "a small object".getBytes(StandardCharsets.US_ASCII);
    write(object, content);
    assertArrayEquals(content, get(BASE + "/" + object).body());
    // Deleted, as garbage collection would: still served from memory, with the same headers.
    Files.delete(root.resolve(object));
    HttpResponse<byte[]> cached = get(BASE + "/" + object);
    assertEquals(200, cached.statusCode());
    assertArrayEquals(content, cached.body());
    assertEquals("application/octet-stream", cached.headers().firstValue("content-type").orElseThrow());
    assertEquals(content.length, cached.headers().firstValueAsLong("content-length").orElseThrow());
    assertEquals("bytes", cached.headers().firstValue("accept-ranges").orElseThrow());
    assertFreshFor(cached.headers(), 259200);
    assertNoValidatorsOrCoding(cached.headers());
    // Ranges and HEAD are answered from the file, and so is everything once the entry expired.
    assertEquals(404, get(BASE + "/" + object, "Range", "bytes=0-1").statusCode());
    assertEquals(404, send("HEAD", BASE + "/" + object).statusCode());
    TimeUnit.MILLISECONDS.sleep(ObjectCache.LIFETIME.toMillis() + 100);
    assertEquals(404, get(BASE + "/" + object).statusCode());
  }

  @Test
  void withoutObjectCacheEveryRequestReadsTheFile() throws Exception {
    HttpServerConfig config = new HttpServerConfig(
        "127.0.0.1", 0, Duration.ofSeconds(61), Duration.ofDays(3), 1, 1, Duration.ofSeconds(30), 0);
    String object = "data/78/" + "8".repeat(38);
    write(object, "another small object".getBytes(StandardCharsets.US_ASCII));
    try (HttpServer uncached = HttpServer.builder(config).repositories(served).build()) {
      URI uri = URI.create("http://127.0.0.1:" + uncached.start() + BASE + "/" + object);
      HttpRequest request = HttpRequest.newBuilder(uri).build();
      assertEquals(200, client.send(request, BodyHandlers.discarding()).statusCode());
      Files.delete(root.resolve(object));
      assertEquals(404, client.send(request, BodyHandlers.discarding()).statusCode());
    }
  }

  @Test
  void answersPipelinedRequestsInOrderWhenSomeAreInMemory() throws Exception {
    byte[] small = Files.readAllBytes(root.resolve(SHAKE128));
    try (RawHttpConnection connection = new RawHttpConnection(port)) {
      connection.send(request("GET", BASE + "/" + SHAKE128));
      assertArrayEquals(small, connection.read().body());
      // The small object is in memory now; the large one before it must still be answered first.
      connection.send(request("GET", BASE + "/" + BIG)
          + request("GET", BASE + "/" + SHAKE128)
          + request("GET", BASE + "/" + BIG)
          + request("GET", BASE + "/" + SHAKE128)
          + request("GET", BASE + "/" + SHAKE128));
      assertArrayEquals(big, connection.read().body());
      assertArrayEquals(small, connection.read().body());
      assertArrayEquals(big, connection.read().body());
      assertArrayEquals(small, connection.read().body());
      assertArrayEquals(small, connection.read().body());
    }
  }

  @Test
  void closesWhenTheClientAsks() throws Exception {
    try (RawHttpConnection connection = new RawHttpConnection(port)) {
      connection.send("GET " + BASE + "/.cvmfspublished HTTP/1.1\r\nHost: x\r\n"
          + "Connection: close\r\n\r\n");
      RawHttpConnection.Response response = connection.read();
      assertArrayEquals(MANIFEST, response.body());
      assertEquals("close", response.header("connection"));
      assertTrue(connection.closedByServer());
    }
  }

  @Test
  void answersUnparsableRequestsWith400AndCloses() throws Exception {
    try (RawHttpConnection connection = new RawHttpConnection(port)) {
      connection.send(request("GET", "/" + "a".repeat(10_000)));
      assertEquals(400, connection.read().status());
      assertTrue(connection.closedByServer());
    }
  }

  @Test
  void curlFetchesAnObject() throws Exception {
    Path out = tmp.resolve("curl-out");
    Process curl;
    try {
      curl = new ProcessBuilder("curl", "--silent", "--show-error", "--fail",
          "--output", out.toString(), "--write-out", "%{http_code} %{content_type}",
          "http://127.0.0.1:" + port + BASE + "/" + BIG)
          .redirectErrorStream(true)
          .start();
    } catch (IOException e) {
      assumeTrue(false, "curl is not installed");
      return;
    }
    assertTrue(curl.waitFor(10, TimeUnit.SECONDS), "curl timed out");
    String report = new String(curl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, curl.exitValue(), report);
    assertEquals("200 application/octet-stream", report);
    assertArrayEquals(big, Files.readAllBytes(out));
  }

  @Test
  void rangeParsing() {
    assertNull(ByteRange.parse(null, 10));
    assertEquals(new ByteRange(0, 9), ByteRange.parse("bytes=0-", 10));
    assertEquals(new ByteRange(2, 9), ByteRange.parse("bytes=2-100", 10));
    assertEquals(new ByteRange(0, 9), ByteRange.parse("bytes=-100", 10));
    assertEquals(ByteRange.UNSATISFIABLE, ByteRange.parse("bytes=0-", 0));
    assertEquals(ByteRange.UNSATISFIABLE, ByteRange.parse("bytes=10-12", 10));
    assertNull(ByteRange.parse("bytes=99999999999999999999-", 10));
  }

  @Test
  void requestPath() {
    assertEquals("/a/b", RepositoryContentHandler.path("/a/b?c=d"));
    assertEquals("/cvmfs/x/.cvmfspublished",
        RepositoryContentHandler.path("http://host:80/cvmfs/x/.cvmfspublished"));
    assertEquals("/", RepositoryContentHandler.path("http://host"));
  }
}
