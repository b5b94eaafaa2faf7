package io.ephemeral.cvmfs.dataplane.maintenance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.ephemeral.cvmfs.dataplane.api.JsonResponses;
import io.ephemeral.cvmfs.dataplane.testsupport.CliRunner;
import io.ephemeral.cvmfs.dataplane.verify.RemoteRepository;
import io.ephemeral.cvmfs.dataplane.verify.RepositoryReader;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kills a serving child JVM with SIGKILL at random moments while it publishes, removes and
 * collects garbage, then restarts it: each time the repository must verify end to end, hold no
 * temporary file, and list exactly the publications its catalog has, none acknowledged lost.
 */
class CrashLoopTest {

  private static final String FQRN = "crash.example.org";
  private static final String TOKEN = "crash-token";
  // A restart costs seconds, so the default keeps the test near a minute; -Dcrashloop.cycles=N runs
  // more. KillMatrixTest kills each kind of operation at each stage; this one kills at random under load.
  private static final int CYCLES = Integer.getInteger("crashloop.cycles", 8);
  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();

  @TempDir
  Path data;

  private final Random random = new Random(42);
  // Paths whose publication was acknowledged and whose removal was not requested.
  private final Set<String> acknowledged = new ConcurrentSkipListSet<>();
  // Paths whose fate a kill left open: published or removed without an answer.
  private final Set<String> uncertain = new ConcurrentSkipListSet<>();

  @Test
  void survivesKillsDuringPublishesAndCollections() throws Exception {
    int publishes = 0;
    int collections = 0;
    for (int cycle = 0; cycle < CYCLES; cycle++) {
      Process server = startServer();
      try {
        String base = awaitStart(server);
        check(base);
        AtomicBoolean stop = new AtomicBoolean();
        int[] counts = new int[2];
        int round = cycle;
        Thread load = new Thread(() -> load(base, round, stop, counts), "load");
        load.start();
        Thread.sleep(300 + random.nextInt(2000));
        server.destroyForcibly();
        server.waitFor();
        stop.set(true);
        load.join();
        publishes += counts[0];
        collections += counts[1];
      } finally {
        server.destroyForcibly();
        server.waitFor();
      }
    }
    Process server = startServer();
    try {
      check(awaitStart(server));
    } finally {
      server.destroyForcibly();
      server.waitFor();
    }
    assertTrue(publishes >= 20, "only " + publishes + " publications were acknowledged");
    assertTrue(collections >= 20, "only " + collections + " collections completed");
  }

  private Process startServer() throws IOException {
    ProcessBuilder builder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        // C1 alone starts the child about three times faster on two busy cores.
        "-Xmx256m", "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"), "io.ephemeral.cvmfs.dataplane.cli.Main", "serve",
        "--data", data.toString(), "--repository", FQRN, "--bind", "127.0.0.1", "--port", "0",
        "--notification-port", "-1", "--gc-interval", "0", "--gc-grace", "0");
    builder.environment().put("CVMFS_EPHEMERAL_TOKEN", TOKEN);
    builder.redirectErrorStream(true);
    return builder.start();
  }

  private static String awaitStart(Process server) throws IOException {
    BufferedReader output = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
    Pattern serving = Pattern.compile("serving (http://127\\.0\\.0\\.1:\\d+)/cvmfs/");
    for (String line; (line = output.readLine()) != null; ) {
      Matcher matcher = serving.matcher(line);
      if (matcher.find()) {
        Thread drain = new Thread(() -> output.lines().forEach(ignored -> { }), "server-output");
        drain.setDaemon(true);
        drain.start();
        return matcher.group(1);
      }
    }
    throw new IOException("the server did not start");
  }

  // Publishes files (some with content seen before, which reuses objects), removes some and collects garbage.
  private void load(String base, int cycle, AtomicBoolean stop, int[] counts) {
    Random local = new Random(cycle);
    for (int i = 0; !stop.get(); i++) {
      try {
        int action = local.nextInt(10);
        if (action < 6) {
          String path = "c" + cycle + "/f" + i;
          byte[] content = ("content " + local.nextInt(8) + " ").repeat(1 + local.nextInt(2000)).getBytes();
          uncertain.add(path);
          HttpResponse<String> response = send("PUT", base + "/api/v1/repos/" + FQRN + "/paths/" + path + "?format=file",
              content);
          if (response.statusCode() == 201) {
            acknowledged.add(path);
            uncertain.remove(path);
            counts[0]++;
          }
        } else if (action < 8 && !acknowledged.isEmpty()) {
          String path = new ArrayList<>(acknowledged).get(local.nextInt(acknowledged.size()));
          acknowledged.remove(path);
          uncertain.add(path);
          if (send("DELETE", base + "/api/v1/repos/" + FQRN + "/paths/" + path, null).statusCode() == 200) {
            uncertain.remove(path);
          }
        } else {
          if (send("POST", base + "/api/v1/repos/" + FQRN + "/gc", null).statusCode() == 200) {
            counts[1]++;
          }
        }
      } catch (IOException e) {
        return; // the server is gone
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  private static HttpResponse<String> send(String method, String url, byte[] body) throws IOException, InterruptedException {
    return HTTP.send(HttpRequest.newBuilder(URI.create(url)).header("Authorization", "Bearer " + TOKEN)
        .timeout(Duration.ofSeconds(30))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body))
        .build(), HttpResponse.BodyHandlers.ofString());
  }

  private void check(String base) throws Exception {
    String url = base + "/cvmfs/" + FQRN;
    CliRunner.Result verify = CliRunner.run("verify", url, "--key", data.resolve("keys").resolve(FQRN + ".pub").toString());
    assertEquals(0, verify.exitCode(), verify.stdout() + verify.stderr());

    assertEquals(List.of(), temporaryFiles());

    JsonNode listed = JsonResponses.JSON.readTree(send("GET", base + "/api/v1/repos/" + FQRN + "/paths", null).body());
    Set<String> records = new TreeSet<>();
    listed.get("publications").forEach(p -> records.add(p.get("path").asText().substring(1)));
    Set<String> inCatalog = new TreeSet<>();
    try (RepositoryReader reader = RepositoryReader.open(new RemoteRepository(URI.create(url)))) {
      for (var cycleDirectory : reader.list("")) {
        for (var file : reader.list(cycleDirectory.path())) {
          inCatalog.add(file.path().substring(1));
        }
      }
    }
    assertEquals(records, inCatalog, "publication records and the served catalog differ");
    for (String path : acknowledged) {
      assertTrue(records.contains(path) || uncertain.contains(path), "acknowledged publication " + path + " was lost");
    }
    // What a kill left undecided is now decided: the records say which way.
    for (String path : List.copyOf(uncertain)) {
      if (records.contains(path)) {
        acknowledged.add(path);
      } else {
        acknowledged.remove(path);
      }
      uncertain.remove(path);
    }
    for (String path : records) {
      assertTrue(acknowledged.contains(path), "publication " + path + " appeared from nowhere");
    }
  }

  private List<Path> temporaryFiles() throws IOException {
    List<Path> leftovers = new ArrayList<>();
    try (Stream<Path> txn = Files.walk(data.resolve(FQRN).resolve("data").resolve("txn"))) {
      txn.filter(Files::isRegularFile).forEach(leftovers::add);
    }
    try (Stream<Path> top = Files.list(data.resolve(FQRN))) {
      top.filter(p -> p.getFileName().toString().endsWith(".tmp")).forEach(leftovers::add);
    }
    Path scratch = data.resolve("state").resolve(FQRN).resolve("tmp");
    if (Files.isDirectory(scratch)) {
      try (Stream<Path> files = Files.list(scratch)) {
        files.forEach(leftovers::add);
      }
    }
    return leftovers;
  }
}
