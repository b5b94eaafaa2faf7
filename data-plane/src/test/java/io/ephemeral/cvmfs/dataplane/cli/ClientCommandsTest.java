package io.ephemeral.cvmfs.dataplane.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.ephemeral.cvmfs.dataplane.api.JsonResponses;
import io.ephemeral.cvmfs.dataplane.format.DirectoryEntry;
import io.ephemeral.cvmfs.dataplane.server.DataPlane;
import io.ephemeral.cvmfs.dataplane.server.DataPlaneConfig;
import io.ephemeral.cvmfs.dataplane.testsupport.ApiRequests;
import io.ephemeral.cvmfs.dataplane.testsupport.CliRunner;
import io.ephemeral.cvmfs.dataplane.testsupport.Tars;
import io.ephemeral.cvmfs.dataplane.verify.RemoteRepository;
import io.ephemeral.cvmfs.dataplane.verify.RepositoryReader;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** push, ls, ttl, rm and status against a data plane started in the test, over real HTTP on loopback. */
class ClientCommandsTest {

  private static final String REPO = "client.example.org";
  private static final long MTIME = 1_650_000_000L;

  @TempDir
  static Path data;

  @TempDir
  Path work;

  private static DataPlane dataPlane;
  private static String base;
  private static String tokenFile;

  @BeforeAll
  static void start() throws IOException {
    dataPlane = DataPlane.start(DataPlaneConfig.local(data, List.of(REPO)));
    base = "http://127.0.0.1:" + dataPlane.port();
    tokenFile = data.resolve("keys").resolve(REPO + ".token").toString();
  }

  @AfterAll
  static void stop() {
    dataPlane.close();
  }

  private static CliRunner.Result push(String source, String path, String... more) {
    List<String> args = new ArrayList<>(List.of("push", source, "--to", base + "/" + REPO + "/" + path,
        "--token-file", tokenFile, "--progress", "never"));
    args.addAll(List.of(more));
    return CliRunner.run(args.toArray(String[]::new));
  }

  private static RepositoryReader reader() throws IOException {
    return RepositoryReader.open(new RemoteRepository(URI.create(base + "/cvmfs/" + REPO)));
  }

  /** bin/tool 0755, README 0640, a setgid directory, a symlink and an empty directory, all with one mtime. */
  private Path tree() throws IOException {
    Path dir = Files.createDirectory(work.resolve("out"));
    Files.createDirectories(dir.resolve("bin"));
    Files.writeString(dir.resolve("bin/tool"), "#!/bin/sh\necho tool\n");
    Files.setPosixFilePermissions(dir.resolve("bin/tool"), PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.writeString(dir.resolve("README"), "read me\n");
    Files.setPosixFilePermissions(dir.resolve("README"), PosixFilePermissions.fromString("rw-r-----"));
    Files.createDirectories(dir.resolve("empty"));
    Files.createSymbolicLink(dir.resolve("latest"), Path.of("bin/tool"));
    for (String name : List.of("bin/tool", "README", "empty", "bin")) {
      Files.setLastModifiedTime(dir.resolve(name), FileTime.from(MTIME, TimeUnit.SECONDS));
    }
    return dir;
  }

  @Test
  void pushesADirectoryWithModesSymlinksAndTimes() throws Exception {
    Path dir = tree();
    CliRunner.Result result = push(dir.toString(), "pipelines/dir", "--ttl", "30m");
    assertEquals(0, result.exitCode(), result.stderr());
    assertTrue(result.stdout().startsWith("published " + REPO + "/pipelines/dir in revision "), result.stdout());
    try (RepositoryReader reader = reader()) {
      assertArrayEquals("#!/bin/sh\necho tool\n".getBytes(), reader.readAllBytes("/pipelines/dir/bin/tool"));
      assertArrayEquals("read me\n".getBytes(), reader.readAllBytes("/pipelines/dir/README"));
      DirectoryEntry tool = reader.lookup("/pipelines/dir/bin/tool").orElseThrow();
      assertEquals(0755, tool.mode() & 07777);
      assertEquals(MTIME, tool.mtime());
      assertEquals(0640, reader.lookup("/pipelines/dir/README").orElseThrow().mode() & 07777);
      assertEquals("bin/tool", reader.lookup("/pipelines/dir/latest").orElseThrow().symlink());
      assertTrue(reader.lookup("/pipelines/dir/empty").orElseThrow().isDirectory());
      assertEquals(MTIME, reader.lookup("/pipelines/dir/empty").orElseThrow().mtime());
    }
  }

  @Test
  void pushesAnArchiveAndAPlainFileAndPrintsTheServersJson() throws Exception {
    Path archive = work.resolve("out.tar.gz");
    Files.write(archive, Tars.gzip(Tars.tar().dir("lib").file("lib/a.txt", "from an archive\n").bytes()));
    CliRunner.Result result = push(archive.toString(), "pipelines/archive", "--json");
    assertEquals(0, result.exitCode(), result.stderr());
    JsonNode json = JsonResponses.JSON.readTree(result.stdout());
    assertEquals("/pipelines/archive", json.get("path").asText());
    assertEquals(1, json.get("files").asLong());
    assertTrue(json.get("revision").asLong() > 0 && json.has("expiresAt"), result.stdout());

    Path plain = work.resolve("notes.txt");
    Files.writeString(plain, "just a file\n");
    CliRunner.Result file = push(plain.toString(), "pipelines/notes.txt", "--json");
    assertEquals(0, file.exitCode(), file.stderr());
    try (RepositoryReader reader = reader()) {
      assertArrayEquals("from an archive\n".getBytes(), reader.readAllBytes("/pipelines/archive/lib/a.txt"));
      assertArrayEquals("just a file\n".getBytes(), reader.readAllBytes("/pipelines/notes.txt"));
    }
  }

  @Test
  void stagesAnUploadForAPublicationToClaim() throws Exception {
    Path dir = tree();
    CliRunner.Result staged = CliRunner.run("push", dir.toString(), "--stage", "--to", base + "/" + REPO,
        "--token-file", tokenFile, "--progress", "never");
    assertEquals(0, staged.exitCode(), staged.stderr());
    String id = staged.stdout().strip();
    HttpResponse<String> claimed = ApiRequests.send(HttpRequest.newBuilder(
        URI.create(base + "/api/v1/repos/" + REPO + "/paths/staged"))
        .POST(HttpRequest.BodyPublishers.ofString("{\"upload\": \"" + id + "\", \"format\": \"tar\"}")),
        Files.readString(Path.of(tokenFile)).strip());
    assertEquals(201, claimed.statusCode(), claimed.body());
    try (RepositoryReader reader = reader()) {
      assertEquals("bin/tool", reader.lookup("/staged/latest").orElseThrow().symlink());
    }
    assertEquals(2, CliRunner.run("push", dir.toString(), "--stage", "--to", base + "/" + REPO + "/a/path").exitCode());
  }

  @Test
  void aTakenPathIsRefusedAtOnceWithTheServersDetail() throws Exception {
    Path plain = work.resolve("one.txt");
    Files.writeString(plain, "one\n");
    assertEquals(0, push(plain.toString(), "taken/one.txt").exitCode());
    CliRunner.Result again = push(plain.toString(), "taken/one.txt", "--retry-delay", "5s");
    assertEquals(1, again.exitCode(), again.stderr());
    assertTrue(again.stderr().contains("409 conflict: "), again.stderr());
    assertFalse(again.stderr().contains("attempt 1 failed"), "not retried: " + again.stderr());
    assertEquals(0, push(plain.toString(), "taken/one.txt", "--overwrite").exitCode());
  }

  @Test
  void retriesTransientFailuresAndTarsTheDirectoryAgain() throws Exception {
    Path dir = tree();
    try (Proxy proxy = new Proxy(2, 0)) {
      CliRunner.Result result = CliRunner.run("push", dir.toString(), "--to", proxy.base() + "/" + REPO + "/retried",
          "--token-file", tokenFile, "--progress", "never", "--retry-delay", "50ms", "--no-reuse");
      assertEquals(0, result.exitCode(), result.stderr());
      assertEquals(3, proxy.puts.get());
      assertTrue(result.stderr().contains("attempt 1 failed: 503 busy: try later; trying again in 50ms"), result.stderr());
      assertTrue(result.stderr().contains("attempt 2 failed: 503 busy: try later; trying again in 100ms"),
          result.stderr());
      assertEquals(3, proxy.bodySizes.stream().distinct().count() == 1 ? 3 : -1, "the same tar each time: "
          + proxy.bodySizes);
    }
    try (RepositoryReader reader = reader()) {
      assertEquals("bin/tool", reader.lookup("/retried/latest").orElseThrow().symlink());
    }
  }

  @Test
  void bytesTheServerHoldsArePublishedByTheirDigestWithoutBeingSent() throws Exception {
    Path dir = tree();
    Files.writeString(dir.resolve("unique"), "reuse " + System.nanoTime());
    assertEquals(0, push(dir.toString(), "reuse/first").exitCode());
    Path file = Files.writeString(work.resolve("blob.bin"), "a blob " + System.nanoTime());
    assertEquals(0, push(file.toString(), "reuse/blob").exitCode());

    try (Proxy proxy = new Proxy(0, 0)) {
      for (String[] again : List.of(new String[] {dir.toString(), "reuse/second"},
          new String[] {file.toString(), "reuse/blob-again"})) {
        CliRunner.Result result = CliRunner.run("push", again[0], "--to", proxy.base() + "/" + REPO + "/" + again[1],
            "--token-file", tokenFile, "--progress", "never", "--json");
        assertEquals(0, result.exitCode(), result.stderr());
        assertEquals("/" + again[1], JsonResponses.JSON.readTree(result.stdout()).path("path").asText());
      }
      assertEquals(0, proxy.puts.get(), "nothing was uploaded");
    }
    try (RepositoryReader reader = reader()) {
      assertArrayEquals(Files.readAllBytes(dir.resolve("unique")), reader.readAllBytes("/reuse/second/unique"));
      assertEquals("bin/tool", reader.lookup("/reuse/second/latest").orElseThrow().symlink());
      assertArrayEquals(Files.readAllBytes(file), reader.readAllBytes("/reuse/blob-again"));
    }
  }

  @Test
  void anUnreachableServerEndsWithExitCodeThreeAfterTheRetries() throws Exception {
    int port;
    try (ServerSocket socket = new ServerSocket(0)) {
      port = socket.getLocalPort();
    }
    Path plain = work.resolve("lost.txt");
    Files.writeString(plain, "lost\n");
    CliRunner.Result result = CliRunner.run("push", plain.toString(), "--to",
        "http://127.0.0.1:" + port + "/" + REPO + "/lost.txt", "--token-file", tokenFile, "--retries", "1",
        "--retry-delay", "10ms", "--progress", "never");
    assertEquals(3, result.exitCode(), result.stderr());
    assertTrue(result.stderr().contains("failed after 2 attempts: cannot connect"), result.stderr());
  }

  @Test
  void standardInputIsPublishedAndRetriedOnlyWhileUnread() throws Exception {
    byte[] tar = Tars.tar().file("from-stdin.txt", "piped\n").bytes();
    CliRunner.Result piped = withStdin(tar, () -> push("-", "stdin/1"));
    assertEquals(0, piped.exitCode(), piped.stderr());
    try (RepositoryReader reader = reader()) {
      assertArrayEquals("piped\n".getBytes(), reader.readAllBytes("/stdin/1/from-stdin.txt"));
    }
    try (Proxy proxy = new Proxy(1, 0)) {
      CliRunner.Result refused = withStdin(tar, () -> CliRunner.run("push", "-", "--to", proxy.base() + "/" + REPO
          + "/stdin/2", "--token-file", tokenFile, "--progress", "never", "--retry-delay", "10ms"));
      assertEquals(3, refused.exitCode(), refused.stderr());
      assertTrue(refused.stderr().contains("503 busy: try later (not retried: a body read from standard input cannot"
          + " be sent again)"), refused.stderr());
      assertEquals(1, proxy.puts.get());
    }
    int port;
    try (ServerSocket socket = new ServerSocket(0)) {
      port = socket.getLocalPort();
    }
    CliRunner.Result unread = withStdin(tar, () -> CliRunner.run("push", "-", "--to", "http://127.0.0.1:" + port + "/"
        + REPO + "/stdin/3", "--retries", "2", "--retry-delay", "10ms", "--progress", "never"));
    assertEquals(3, unread.exitCode(), unread.stderr());
    assertTrue(unread.stderr().contains("failed after 3 attempts: cannot connect"), "retried while unread: "
        + unread.stderr());
  }

  private static CliRunner.Result withStdin(byte[] input, java.util.function.Supplier<CliRunner.Result> run) {
    InputStream original = System.in;
    System.setIn(new java.io.ByteArrayInputStream(input));
    try {
      return run.get();
    } finally {
      System.setIn(original);
    }
  }

  @Test
  void listsExtendsRemovesAndReportsTheRepository() throws Exception {
    Path plain = work.resolve("listed.txt");
    Files.writeString(plain, "listed\n");
    assertEquals(0, push(plain.toString(), "listing/a/listed.txt", "--ttl", "1h").exitCode());

    CliRunner.Result ls = CliRunner.run("ls", base + "/" + REPO + "/listing");
    assertEquals(0, ls.exitCode(), ls.stderr());
    assertTrue(ls.stdoutLines().get(0).startsWith("PATH "), ls.stdout());
    assertEquals(2, ls.stdoutLines().size(), ls.stdout());
    assertTrue(ls.stdoutLines().get(1).startsWith("/listing/a/listed.txt "), ls.stdout());
    JsonNode listed = JsonResponses.JSON.readTree(CliRunner.run("ls", base + "/" + REPO, "--json").stdout());
    assertTrue(listed.get("publications").size() >= 1);

    CliRunner.Result ttl = CliRunner.run("ttl", base + "/" + REPO + "/listing/a/listed.txt", "3d", "--json",
        "--token-file", tokenFile);
    assertEquals(0, ttl.exitCode(), ttl.stderr());
    String expiresAt = JsonResponses.JSON.readTree(ttl.stdout()).get("expiresAt").asText();
    assertTrue(java.time.Instant.parse(expiresAt).isAfter(java.time.Instant.now().plus(java.time.Duration.ofDays(2))));

    CliRunner.Result status = CliRunner.run("status", base + "/" + REPO, "--json");
    assertEquals(0, status.exitCode(), status.stderr());
    long before = JsonResponses.JSON.readTree(status.stdout()).get("revision").asLong();
    assertTrue(CliRunner.run("status", base + "/" + REPO).stdout().startsWith(REPO + " revision " + before));

    CliRunner.Result rm = CliRunner.run("rm", base + "/" + REPO + "/listing/a/listed.txt", "--token-file", tokenFile);
    assertEquals(0, rm.exitCode(), rm.stderr());
    assertTrue(rm.stdout().startsWith("removed " + REPO + "/listing/a/listed.txt in revision "), rm.stdout());
    assertEquals(1, CliRunner.run("ls", base + "/" + REPO + "/listing").stdoutLines().size());
    CliRunner.Result gone = CliRunner.run("rm", base + "/" + REPO + "/listing/a/listed.txt", "--token-file", tokenFile);
    assertEquals(1, gone.exitCode());
    assertTrue(gone.stderr().contains("404 not_found"), gone.stderr());
    CliRunner.Result noToken = CliRunner.run("rm", base + "/" + REPO + "/listing/a/listed.txt");
    assertEquals(1, noToken.exitCode());
    assertTrue(noToken.stderr().contains("401 unauthorized"), noToken.stderr());
  }

  @Test
  void waitsUntilTheManifestShowsTheRevision() throws Exception {
    Path plain = work.resolve("visible.txt");
    Files.writeString(plain, "visible\n");
    try (Proxy proxy = new Proxy(0, 3)) {
      CliRunner.Result result = CliRunner.run("push", plain.toString(), "--to", proxy.base() + "/" + REPO
          + "/visible.txt", "--token-file", tokenFile, "--progress", "never", "--wait-visible", "--json");
      assertEquals(0, result.exitCode(), result.stderr());
      long revision = JsonResponses.JSON.readTree(result.stdout()).get("revision").asLong();
      assertEquals(4, proxy.manifests.get(), "three stale manifests, then the one with revision " + revision);
    }
    try (Proxy proxy = new Proxy(0, 1000)) {
      CliRunner.Result result = CliRunner.run("push", plain.toString(), "--to", proxy.base() + "/" + REPO
          + "/invisible.txt", "--token-file", tokenFile, "--progress", "never", "--wait-visible", "--wait-timeout", "1s");
      assertEquals(4, result.exitCode(), result.stderr());
      assertTrue(result.stderr().contains("was not visible at " + proxy.base() + "/cvmfs/" + REPO + " within 1s"),
          result.stderr());
    }
  }

  @Test
  void drawsABarOnATerminalAndPlainLinesElsewhere() throws Exception {
    org.junit.jupiter.api.Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/script")),
        "script (bsdutils) gives the pseudo-terminal");
    Path dir = tree();
    byte[] large = new byte[8 << 20];
    new Random(1).nextBytes(large);
    Files.write(dir.resolve("large.bin"), large);
    List<String> java = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"), Main.class.getName(), "push",
        dir.toString(), "--token-file", tokenFile, "--no-reuse");

    List<String> onTerminal = new ArrayList<>(java);
    onTerminal.addAll(List.of("--to", base + "/" + REPO + "/progress/tty"));
    String command = onTerminal.stream().map(a -> "'" + a.replace("'", "'\\''") + "'").collect(Collectors.joining(" "));
    String tty = run(List.of("script", "-qfec", command, "/dev/null"));
    assertTrue(tty.contains("\r" + REPO + "/progress/tty "), tty);
    assertTrue(tty.matches("(?s).*\\r[^\\n]*[ (]\\d+(\\.\\d)? [KMG]?i?B/s.*"), "a rate on a redrawn line: " + tty);
    assertTrue(tty.contains("published " + REPO + "/progress/tty in revision"), tty);

    List<String> inLog = new ArrayList<>(java);
    inLog.addAll(List.of("--to", base + "/" + REPO + "/progress/log"));
    String log = run(inLog);
    assertFalse(log.contains("\r"), log);
    assertTrue(log.contains("sending " + REPO + "/progress/log\n"), log);
    assertTrue(log.matches("(?s).*/progress/log: \\d+(\\.\\d)? [KMG]?i?B in \\S+ \\([^)]*/s\\), published\n.*"), log);
    assertTrue(log.contains("published " + REPO + "/progress/log in revision"), log);
  }

  /** Runs a process with its output and error together, stdin closed, and returns what it printed. */
  private static String run(List<String> command) throws Exception {
    Process process = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(process.waitFor(60, TimeUnit.SECONDS));
    assertEquals(0, process.exitValue(), output);
    return output;
  }

  /**
   * Stands between the client and the data plane: answers the first {@code failingPuts} PUTs with
   * 503 and the first {@code staleManifests} manifest reads with the manifest as it was when the
   * proxy started; forwards everything else.
   */
  private static final class Proxy implements AutoCloseable {
    final AtomicInteger puts = new AtomicInteger();
    final AtomicInteger manifests = new AtomicInteger();
    final List<Integer> bodySizes = java.util.Collections.synchronizedList(new ArrayList<>());
    private final HttpServer server;
    private final byte[] staleManifest;

    Proxy(int failingPuts, int staleManifests) throws Exception {
      staleManifest = forward("GET", "/cvmfs/" + REPO + "/.cvmfspublished", new byte[0], null).body();
      server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
      server.createContext("/", exchange -> {
        try (exchange) {
          byte[] body;
          try (InputStream in = exchange.getRequestBody()) {
            body = in.readAllBytes();
          }
          String method = exchange.getRequestMethod();
          String path = exchange.getRequestURI().getRawPath();
          if (method.equals("PUT")) {
            bodySizes.add(body.length);
            if (puts.incrementAndGet() <= failingPuts) {
              reply(exchange, 503, "{\"error\":\"busy\",\"detail\":\"try later\"}".getBytes());
              return;
            }
          }
          if (path.endsWith("/.cvmfspublished") && manifests.incrementAndGet() <= staleManifests) {
            reply(exchange, 200, staleManifest);
            return;
          }
          String query = exchange.getRequestURI().getRawQuery();
          HttpResponse<byte[]> response = forward(method, path + (query == null ? "" : "?" + query), body,
              exchange.getRequestHeaders().getFirst("Authorization"));
          reply(exchange, response.statusCode(), response.body());
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      });
      server.start();
    }

    String base() {
      return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    private static HttpResponse<byte[]> forward(String method, String path, byte[] body, String authorization)
        throws IOException, InterruptedException {
      HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(ClientCommandsTest.base + path))
          .method(method, HttpRequest.BodyPublishers.ofByteArray(body));
      if (authorization != null) {
        request.header("Authorization", authorization);
      }
      return ApiRequests.HTTP.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private static void reply(HttpExchange exchange, int status, byte[] body) throws IOException {
      exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
      if (body.length > 0) {
        exchange.getResponseBody().write(body);
      }
    }

    @Override
    public void close() {
      server.stop(0);
    }
  }
}
