package io.ephemeral.cvmfs.dataplane.crash;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpServer;
import io.ephemeral.cvmfs.common.format.Pem;
import io.ephemeral.cvmfs.common.format.SignedDocument;
import io.ephemeral.cvmfs.dataplane.format.Manifest;
import io.ephemeral.cvmfs.dataplane.repository.DataLayout;
import io.ephemeral.cvmfs.dataplane.repository.Repository;
import io.ephemeral.cvmfs.dataplane.testsupport.Tars;
import io.ephemeral.cvmfs.dataplane.verify.RemoteRepository;
import io.ephemeral.cvmfs.dataplane.verify.RepositoryReader;
import io.ephemeral.cvmfs.dataplane.verify.RepositoryVerifier;
import io.ephemeral.cvmfs.dataplane.verify.VerificationException;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kills a serving child JVM with SIGKILL at chosen stages of one operation of each kind (tar,
 * tar.gz, tar.zst, docker-save and OCI image archives, URL sources, staged uploads, the legacy
 * multipart upload, garbage collection, TTL expiry, and the start itself), restarts it on the
 * same data directory and checks that every crash restarts clean: the start succeeds in bounded
 * time, {@code /readyz} answers 200, the repository verifies, the revision never goes back, every
 * acknowledged publication is still served, and no scratch file is left. Trials run in sequence
 * on one data directory, so each start also meets what all earlier crashes left.
 *
 * <p>The default is one round of 33 trials (11 kinds × 3 stages); starting the child is most of
 * the cost. {@code -Dkillmatrix.rounds=N} repeats the round with other byte counts and delays,
 * {@code -Dkillmatrix.seed} picks them, and {@code -Dkillmatrix.jvmArgs="…"} changes the child's
 * JVM options.
 */
@Timeout(value = 45, unit = TimeUnit.MINUTES)
class KillMatrixTest {

  private static final String FQRN = "kill.example.org";
  private static final String TOKEN = "kill-matrix-token";
  private static final int ROUNDS = Integer.getInteger("killmatrix.rounds", 1);
  // With C1 alone the child starts about three times faster on two busy cores (4.5 s against 13 s);
  // the work each trial drives is small.
  private static final String JVM_ARGS = System.getProperty("killmatrix.jvmArgs",
      "-Xmx256m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xshare:auto");
  private static final Duration START_LIMIT = Duration.ofSeconds(90);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern SERVING = Pattern.compile("serving (http://127\\.0\\.0\\.1:\\d+)/cvmfs/");

  enum Kind {
    TAR("tar"), TAR_GZ("tar.gz"), TAR_ZST("tar.zst"), DOCKER("docker-archive"), OCI("oci-archive"), URL("url"),
    STAGED("staged"), LEGACY("legacy"), GC("gc"), TTL("ttl"), START("start");

    final String label;

    Kind(String label) {
      this.label = label;
    }
  }

  /**
   * One kill: what runs, at which stage, and what places the kill: the share of the body sent,
   * a delay, or (around the commit) a share of the time the same kind took to be answered.
   */
  record Trial(int number, Kind kind, String stage, double fraction, long delayMillis, double ofLatency) {
    String path() {
      return String.format(Locale.ROOT, "t%03d-%s", number, kind.label.replace('.', '-'));
    }
  }

  /** A publication that was acknowledged: {@code file} must be served with {@code content}. */
  record Expected(String publication, String file, byte[] content) {}

  @TempDir
  Path temp;

  private Path data;
  private DataLayout layout;
  private Process server;
  private String base;
  private int starts;
  private final List<Long> startMillis = new ArrayList<>();
  private final Random random = new Random(Long.getLong("killmatrix.seed", 7));

  // Acknowledged publications with a long lifetime, by path ("/t001-tar").
  private final Map<String, Expected> acknowledged = new LinkedHashMap<>();
  // Publications whose request a kill cut off: served or not, either is right, but nothing else.
  private final Map<String, Expected> uncertain = new LinkedHashMap<>();
  // Staged uploads of uncertain claims, by publication path: claimed again if the claim was lost.
  private final Map<String, String> uncertainClaims = new LinkedHashMap<>();
  // Acknowledged publications with a TTL of a second: the housekeeper must remove them.
  private final Set<String> mustExpire = new TreeSet<>();
  // Ids of staged uploads that may still wait in the uploads folder.
  private final Set<String> claimable = new TreeSet<>();
  private long highestAcknowledged;
  // Milliseconds from the end of the request to the answer, per kind, from its acknowledged trial.
  private final Map<Kind, Long> latency = new ConcurrentHashMap<>();

  private HttpServer origin;
  private final Map<String, byte[]> originFiles = new ConcurrentHashMap<>();
  private final Map<String, AtomicLong> originSent = new ConcurrentHashMap<>();

  @AfterEach
  void stop() {
    if (server != null) {
      server.destroyForcibly();
    }
    if (origin != null) {
      origin.stop(0);
    }
  }

  @Test
  void everyKillRestartsClean() throws Exception {
    data = Files.createDirectories(temp.resolve("data"));
    layout = new DataLayout(data);
    startOrigin();
    List<Trial> trials = trials();
    long began = System.nanoTime();
    start();
    List<String> report = new ArrayList<>();
    List<String> failures = new ArrayList<>();
    for (Trial trial : trials) {
      long operationAt = System.nanoTime();
      String evidence;
      try {
        evidence = run(trial);
      } catch (Exception | AssertionError e) {
        evidence = "operation failed: " + e;
        failures.add(trial.path() + " " + trial.stage() + ": " + evidence);
      }
      kill();
      long operated = millisSince(operationAt);
      long before = Math.max(revisionOnDisk(), highestAcknowledged);
      long startedAt = System.nanoTime();
      try {
        start();
      } catch (AssertionError e) {
        // Nothing after a failed start can be checked: stop with what was seen so far.
        throw new AssertionError("the start after trial " + trial.number() + " (" + trial.kind().label + " "
            + trial.stage() + ", " + evidence + ") failed: " + e.getMessage() + "\n" + String.join("\n", failures)
            + "\n" + String.join("\n", report), e);
      }
      long started = millisSince(startedAt);
      long checkAt = System.nanoTime();
      String outcome;
      try {
        check(before);
        outcome = "ok";
      } catch (Exception | AssertionError e) {
        outcome = "FAILED " + e;
        failures.add(trial.path() + " " + trial.stage() + ": " + e + "\n  server log: " + tail(currentLog(), 20));
      }
      String line = String.format(Locale.ROOT,
          "%3d %-14s %-10s %-58s | op %4d ms, start %4d ms, check %4d ms | revision %d -> %d | %s", trial.number(),
          trial.kind().label, trial.stage(), evidence, operated, started, millisSince(checkAt), before, revisionOnDisk(),
          outcome);
      report.add(line);
      System.out.println("kill matrix: " + line);
    }
    kill();
    long total = (System.nanoTime() - began) / 1_000_000;
    List<Long> sorted = startMillis.stream().sorted().toList();
    String summary = String.format(Locale.ROOT,
        "kill matrix: %d trials, %d kinds, %d launches in %.1f s; start min %d ms, median %d ms, max %d ms",
        trials.size(), Kind.values().length, starts, total / 1000.0, sorted.get(0), sorted.get(sorted.size() / 2),
        sorted.get(sorted.size() - 1));
    System.out.println(summary);
    assertTrue(failures.isEmpty(), failures.size() + " of " + trials.size() + " trials failed:\n"
        + String.join("\n", failures) + "\n" + String.join("\n", report));
  }

  /**
   * Kills the very first starts of a fresh data directory as each file of a new repository
   * appears (the first key file, the state database, the whitelist, the manifest); the start after
   * them must still serve a repository that verifies.
   */
  @Test
  void killedFirstStartsRestartClean() throws Exception {
    data = Files.createDirectories(temp.resolve("first"));
    layout = new DataLayout(data);
    Map<String, BooleanSupplier> moments = new LinkedHashMap<>();
    moments.put("first key file", () -> count(layout.keys()) > 0);
    moments.put("state database", () -> Files.exists(layout.state(FQRN).resolve("state.db")));
    moments.put("whitelist", () -> Files.exists(layout.served(FQRN).resolve(Repository.WHITELIST)));
    moments.put("manifest", () -> Files.exists(layout.served(FQRN).resolve(Repository.MANIFEST)));
    List<String> report = new ArrayList<>();
    for (Map.Entry<String, BooleanSupplier> moment : moments.entrySet()) {
      launch();
      boolean reached = pollFor(moment.getValue(), START_LIMIT, 1);
      kill();
      report.add(moment.getKey() + (reached ? "" : " (not reached)"));
    }
    start();
    check(0);
    System.out.println("kill matrix: first starts killed at " + String.join(", ", report) + "; then started clean");
  }

  private static long millisSince(long nanos) {
    return (System.nanoTime() - nanos) / 1_000_000;
  }

  /** Every kind at three stages per round; later rounds move the kill elsewhere within the stage. */
  private List<Trial> trials() {
    List<Trial> trials = new ArrayList<>();
    int n = 0;
    for (int round = 0; round < ROUNDS; round++) {
      for (int stage = 0; stage < 3; stage++) {
        for (Kind kind : Kind.values()) {
          double jitter = round == 0 ? 0 : random.nextDouble();
          trials.add(trial(++n, kind, stage, jitter));
        }
      }
    }
    return trials;
  }

  private static Trial trial(int n, Kind kind, int stage, double jitter) {
    long delay = (long) (jitter * 60);
    // Where the kill lands within the answer time of an acknowledged request of the same kind.
    double ofLatency = jitter == 0 ? 0.5 + 0.15 * (kind.ordinal() % 4) : 0.3 + jitter * 0.9;
    return switch (kind) {
      case TAR, TAR_GZ, TAR_ZST, LEGACY -> switch (stage) {
        case 0 -> new Trial(n, kind, "body", 0.25 + jitter * 0.7, 0, 0);
        case 1 -> new Trial(n, kind, "acked", 1, 0, 0);
        default -> new Trial(n, kind, "commit", 1, 30 + delay, ofLatency);
      };
      case DOCKER, OCI -> switch (stage) {
        case 0 -> new Trial(n, kind, "spool", 0.2 + jitter * 0.75, 0, 0);
        case 1 -> new Trial(n, kind, "acked", 1, 0, 0);
        default -> new Trial(n, kind, "commit", 1, 120 + delay, ofLatency);
      };
      case URL -> switch (stage) {
        case 0 -> new Trial(n, kind, "fetch", 0.3 + jitter * 0.6, 0, 0);
        case 1 -> new Trial(n, kind, "acked", 1, 0, 0);
        default -> new Trial(n, kind, "commit", 1, 20 + delay, ofLatency);
      };
      case STAGED -> switch (stage) {
        case 0 -> new Trial(n, kind, "upload", 0.3 + jitter * 0.6, 0, 0);
        case 1 -> new Trial(n, kind, "acked", 1, 0, 0);
        default -> new Trial(n, kind, "claim", 1, 20 + delay, ofLatency);
      };
      case GC -> switch (stage) {
        case 0 -> new Trial(n, kind, "mark", 0, 5 + delay / 4, 0);
        case 1 -> new Trial(n, kind, "acked", 0, 0, 0);
        default -> new Trial(n, kind, "sweep", 0, 0, 0);
      };
      case TTL -> switch (stage) {
        case 0 -> new Trial(n, kind, "pending", 0, 300 + delay, 0);
        case 1 -> new Trial(n, kind, "expiring", 0, 1000 + delay * 8, 0);
        default -> new Trial(n, kind, "expired", 0, 0, 0);
      };
      // The next start is killed too, at a share of the usual start time.
      case START -> switch (stage) {
        case 0 -> new Trial(n, kind, "early", 0.5, 0, 0.3 + jitter * 0.3);
        case 1 -> new Trial(n, kind, "late", 0.5, 0, 0.75 + jitter * 0.2);
        default -> new Trial(n, kind, "serving", 0.5, 0, 1.1 + jitter * 0.3);
      };
    };
  }

  /** How long to wait before the kill around a commit: a share of the measured answer time, if there is one. */
  private long commitWait(Trial trial) {
    Long measured = latency.get(trial.kind());
    return measured == null ? trial.delayMillis() : Math.round(measured * trial.ofLatency());
  }

  // ---------------------------------------------------------------- operations

  /** Drives the trial's operation and leaves the kill to the caller; returns what was seen at the kill. */
  private String run(Trial trial) throws Exception {
    return switch (trial.kind()) {
      case TAR, TAR_GZ, TAR_ZST, DOCKER, OCI -> putArchive(trial);
      case URL -> fromUrl(trial);
      case STAGED -> staged(trial);
      case LEGACY -> legacy(trial);
      case GC -> collect(trial);
      case TTL -> expire(trial);
      case START -> killStart(trial);
    };
  }

  /**
   * Cuts off an image upload mid-spool, kills the server, then kills the next start too, before
   * or after it has cleared what the first kill left: the start after that must still be clean.
   */
  private String killStart(Trial trial) throws Exception {
    String spooled = putArchive(new Trial(trial.number(), Kind.DOCKER, "spool", trial.fraction(), 0, 0));
    kill();
    List<Long> sorted = startMillis.stream().sorted().toList();
    long after = Math.round(sorted.get(sorted.size() / 2) * trial.ofLatency());
    Path log = launch();
    Thread.sleep(after);
    boolean serving = SERVING.matcher(Files.readString(log)).find();
    return spooled.substring(0, spooled.indexOf(';')) + ", start killed at " + after + " ms"
        + (serving ? " (serving)" : "");
  }

  private String putArchive(Trial trial) throws Exception {
    String path = trial.path();
    byte[] marker = marker(trial);
    byte[] tree = tree(trial, marker);
    byte[] body = switch (trial.kind()) {
      case TAR -> tree;
      case TAR_GZ -> Tars.gzip(tree);
      case TAR_ZST -> Tars.zstd(tree);
      case DOCKER -> dockerArchive(tree);
      case OCI -> ociArchive(tree);
      default -> throw new IllegalArgumentException(trial.kind().toString());
    };
    Expected expected = new Expected("/" + path, "/" + path + "/marker.txt", marker);
    Exchange exchange = new Exchange("PUT", "/api/v1/repos/" + FQRN + "/paths/" + path + "?format=" + trial.kind().label,
        "application/octet-stream", body.length);
    return sendAndKillAt(trial, exchange, body, expected, 201);
  }

  /** Sends {@code body} as far as the trial says, then waits as it says; the response decides the expectation. */
  private String sendAndKillAt(Trial trial, Exchange exchange, byte[] body, Expected expected, int acknowledgedStatus)
      throws Exception {
    try (exchange) {
      int upTo = (int) Math.min(body.length, Math.round(body.length * trial.fraction()));
      exchange.write(body, 0, upTo);
      Response response;
      if (upTo < body.length) {
        // Long enough for the server to read what was sent and act on it.
        Thread.sleep(250);
        response = exchange.responseNow();
      } else if (trial.stage().equals("acked")) {
        long sent = System.nanoTime();
        response = exchange.await(Duration.ofSeconds(60));
        assertEquals(acknowledgedStatus, response.status(), response.body());
        latency.put(trial.kind(), millisSince(sent));
      } else {
        Thread.sleep(commitWait(trial));
        response = exchange.responseNow();
      }
      String evidence = evidence(upTo + "/" + body.length + " B" + waited(trial), response);
      record(expected, response, acknowledgedStatus);
      return evidence;
    }
  }

  private void record(Expected expected, Response response, int acknowledgedStatus) throws IOException {
    if (response.status() == acknowledgedStatus) {
      acknowledged.put(expected.publication(), expected);
      JsonNode json = response.json();
      if (json != null && json.has("revision")) {
        highestAcknowledged = Math.max(highestAcknowledged, json.get("revision").asLong());
      }
    } else if (response.status() < 0) {
      uncertain.put(expected.publication(), expected);
    } else {
      throw new AssertionError("answered " + response.status() + " " + response.body());
    }
  }

  private String fromUrl(Trial trial) throws Exception {
    String path = trial.path();
    byte[] marker = marker(trial);
    byte[] archive = Tars.zstd(tree(trial, marker));
    String file = "/" + path + ".tar.zst";
    originFiles.put(file, archive);
    AtomicLong sent = originSent.computeIfAbsent(file, f -> new AtomicLong());
    String url = "http://127.0.0.1:" + origin.getAddress().getPort() + file;
    byte[] request = JSON.writeValueAsBytes(JSON.createObjectNode().put("url", url).put("sha256", sha256(archive)));
    Expected expected = new Expected("/" + path, "/" + path + "/marker.txt", marker);
    try (Exchange exchange = new Exchange("POST", "/api/v1/repos/" + FQRN + "/paths/" + path, "application/json",
        request.length)) {
      exchange.write(request, 0, request.length);
      Response response;
      long goal = Math.round(archive.length * trial.fraction());
      awaitCondition(() -> sent.get() >= goal, Duration.ofSeconds(30), "the origin to send " + goal + " bytes");
      long fetched = System.nanoTime();
      if (trial.stage().equals("acked")) {
        response = exchange.await(Duration.ofSeconds(60));
        assertEquals(201, response.status(), response.body());
        latency.put(trial.kind(), millisSince(fetched));
      } else {
        Thread.sleep(trial.stage().equals("fetch") ? 100 : commitWait(trial));
        response = exchange.responseNow();
      }
      String evidence = evidence(sent.get() + "/" + archive.length + " B fetched" + waited(trial), response);
      record(expected, response, 201);
      return evidence;
    }
  }

  private String staged(Trial trial) throws Exception {
    String path = trial.path();
    byte[] marker = marker(trial);
    byte[] archive = Tars.gzip(tree(trial, marker));
    Expected expected = new Expected("/" + path, "/" + path + "/marker.txt", marker);
    if (trial.stage().equals("upload")) {
      try (Exchange exchange = new Exchange("POST", "/api/v1/repos/" + FQRN + "/uploads", "application/octet-stream",
          archive.length)) {
        int upTo = (int) Math.round(archive.length * trial.fraction());
        exchange.write(archive, 0, upTo);
        Thread.sleep(250);
        Response response = exchange.responseNow();
        if (response.status() == 201) {
          claimable.add(response.json().get("id").asText());
        }
        return evidence(upTo + "/" + archive.length + " B staged", response);
      }
    }
    Response staged;
    try (Exchange exchange = new Exchange("POST", "/api/v1/repos/" + FQRN + "/uploads", "application/octet-stream",
        archive.length)) {
      exchange.write(archive, 0, archive.length);
      staged = exchange.await(Duration.ofSeconds(60));
    }
    assertEquals(201, staged.status(), staged.body());
    String id = staged.json().get("id").asText();
    claimable.add(id);
    byte[] claim = JSON.writeValueAsBytes(JSON.createObjectNode().put("upload", id).put("format", "tar.gz"));
    try (Exchange exchange = new Exchange("POST", "/api/v1/repos/" + FQRN + "/paths/" + path, "application/json",
        claim.length)) {
      exchange.write(claim, 0, claim.length);
      Response response;
      if (trial.stage().equals("acked")) {
        long sent = System.nanoTime();
        response = exchange.await(Duration.ofSeconds(60));
        assertEquals(201, response.status(), response.body());
        latency.put(trial.kind(), millisSince(sent));
        claimable.remove(id);
      } else {
        Thread.sleep(commitWait(trial));
        response = exchange.responseNow();
        if (response.status() == 201) {
          claimable.remove(id);
        } else if (response.status() < 0) {
          uncertainClaims.put("/" + path, id);
        }
      }
      String evidence = evidence("claim of " + archive.length + " B" + waited(trial), response);
      record(expected, response, 201);
      return evidence;
    }
  }

  private String legacy(Trial trial) throws Exception {
    String name = trial.path() + ".bin";
    byte[] content = randomBytes(trial.number(), 300 << 10);
    System.arraycopy(marker(trial), 0, content, 0, marker(trial).length);
    String boundary = "kill-matrix-" + trial.number();
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    body.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + name
        + "\"\r\nContent-Type: application/octet-stream\r\n\r\n").getBytes(StandardCharsets.UTF_8));
    body.writeBytes(content);
    body.writeBytes(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
    byte[] bytes = body.toByteArray();
    Exchange exchange = new Exchange("POST", "/repos/" + FQRN + "?ttl_s=7200", "multipart/form-data; boundary=" + boundary,
        bytes.length);
    return sendAndKillAt(trial, exchange, bytes, new Expected("/" + name, "/" + name, content), 200);
  }

  /**
   * Publishes and removes a publication of many small files, removes an older one too, then
   * collects and kills while the collection runs.
   */
  private String collect(Trial trial) throws Exception {
    String bulk = "/" + trial.path() + "-bulk";
    Tars tar = Tars.tar();
    for (int f = 0; f < 600; f++) {
      tar.file("f" + f, (trial.path() + " file " + f + "\n").getBytes(StandardCharsets.UTF_8), 0644);
    }
    Response published = call("PUT", "/api/v1/repos/" + FQRN + "/paths" + bulk, tar.bytes());
    assertEquals(201, published.status(), published.body());
    long bulkWritten = System.nanoTime();
    highestAcknowledged = Math.max(highestAcknowledged, published.json().get("revision").asLong());
    List<String> removed = new ArrayList<>();
    removed.add(bulk);
    acknowledged.keySet().stream().findFirst().ifPresent(removed::add);
    for (String path : removed) {
      Response response = call("DELETE", "/api/v1/repos/" + FQRN + "/paths" + path, null);
      assertEquals(200, response.status(), response.body());
      acknowledged.remove(path);
      highestAcknowledged = Math.max(highestAcknowledged, response.json().get("revision").asLong());
    }
    // The collection keeps objects written less than 2 s before it starts, for coarse file-system clocks.
    long wait = 2300 - (System.nanoTime() - bulkWritten) / 1_000_000;
    if (wait > 0) {
      Thread.sleep(wait);
    }
    // The sweep unlinks objects shard by shard: a few shards counted show it under way.
    int objects = sampledObjects();
    try (Exchange exchange = new Exchange("POST", "/api/v1/repos/" + FQRN + "/gc", "application/json", 0)) {
      exchange.write(new byte[0], 0, 0);
      Response response;
      switch (trial.stage()) {
        case "acked" -> {
          response = exchange.await(Duration.ofSeconds(120));
          assertEquals(200, response.status(), response.body());
        }
        case "sweep" -> {
          pollFor(() -> sampledObjects() < objects || exchange.responseNow().status() >= 0, Duration.ofSeconds(60), 1);
          response = exchange.responseNow();
        }
        default -> {
          Thread.sleep(trial.delayMillis());
          response = exchange.responseNow();
        }
      }
      return evidence("removed " + removed.size() + ", objects in data/0? " + objects + " -> " + sampledObjects(), response);
    }
  }

  private String expire(Trial trial) throws Exception {
    String path = trial.path();
    byte[] tree = Tars.tar().file("marker.txt", marker(trial), 0644).bytes();
    Response response = call("PUT", "/api/v1/repos/" + FQRN + "/paths/" + path + "?ttl=1", tree);
    assertEquals(201, response.status(), response.body());
    highestAcknowledged = Math.max(highestAcknowledged, response.json().get("revision").asLong());
    mustExpire.add("/" + path);
    boolean gone = false;
    if (trial.stage().equals("expired")) {
      gone = pollFor(() -> listed().map(paths -> !paths.contains("/" + path)).orElse(false), Duration.ofSeconds(20), 20);
      assertTrue(gone, "the housekeeper did not expire " + path);
    } else {
      Thread.sleep(trial.delayMillis());
      gone = listed().map(paths -> !paths.contains("/" + path)).orElse(false);
    }
    return evidence(gone ? "expired before kill" : "listed at kill", Response.NONE);
  }

  // ---------------------------------------------------------------- checks

  private void check(long revisionBefore) throws Exception {
    Response ready = call("GET", "/readyz", null);
    assertEquals(200, ready.status(), "/readyz: " + ready.body());

    // What was due to expire goes, whether or not the kill interrupted its removal. Waited for
    // first, so that no housekeeping commit changes the repository while the rest is compared.
    boolean expired = pollFor(() -> listed().map(paths -> paths.stream().noneMatch(mustExpire::contains)).orElse(false),
        Duration.ofSeconds(20), 100);
    assertTrue(expired, "expired publications are still listed: " + listed().orElse(Set.of()));
    mustExpire.clear();

    URI url = URI.create(base + "/cvmfs/" + FQRN);
    // A housekeeping commit may replace manifest and reflog while they are read (one after the
    // other, as any reader does); the check is repeated then, never when the revision held still.
    for (int attempt = 1; ; attempt++) {
      long revision = revisionOnDisk();
      try {
        new RepositoryVerifier(new RemoteRepository(url),
            List.of(Pem.readPublicKey(Files.readString(layout.masterPublicKey(FQRN))))).verify();
        break;
      } catch (VerificationException e) {
        Thread.sleep(200);
        if (attempt == 3 || revisionOnDisk() == revision) {
          throw e;
        }
      }
    }

    Set<String> records = listed().orElseThrow(() -> new AssertionError("cannot list the publications"));
    try (RepositoryReader reader = RepositoryReader.open(new RemoteRepository(url))) {
      long served = reader.manifest().revision();
      assertTrue(served >= revisionBefore, "the revision went back from " + revisionBefore + " to " + served);
    }

    // A claim cut off by the kill is retried, as a client would, if it did not take effect.
    for (Map.Entry<String, String> claim : uncertainClaims.entrySet()) {
      if (!records.contains(claim.getKey())) {
        byte[] body = JSON.writeValueAsBytes(JSON.createObjectNode().put("upload", claim.getValue()).put("format", "tar.gz"));
        Response retried = call("POST", "/api/v1/repos/" + FQRN + "/paths" + claim.getKey(), body);
        assertEquals(201, retried.status(), "claiming upload " + claim.getValue() + " again: " + retried.body());
        records.add(claim.getKey());
        claimable.remove(claim.getValue());
      }
    }
    uncertainClaims.clear();
    for (Expected maybe : uncertain.values()) {
      if (records.contains(maybe.publication())) {
        acknowledged.put(maybe.publication(), maybe);
      }
    }
    uncertain.clear();

    try (RepositoryReader reader = RepositoryReader.open(new RemoteRepository(url))) {
      for (Expected expected : acknowledged.values()) {
        assertTrue(records.contains(expected.publication()), "acknowledged " + expected.publication() + " is not listed");
        assertArrayEquals(expected.content(), reader.readAllBytes(expected.file()),
            "acknowledged " + expected.file() + " is not served as published");
      }
      Set<String> inCatalog = new TreeSet<>();
      reader.list("").forEach(entry -> inCatalog.add(entry.path()));
      Set<String> expectedRecords = new TreeSet<>(records);
      assertEquals(expectedRecords, inCatalog, "publication records and the served catalog differ");
    }
    for (String path : records) {
      assertTrue(acknowledged.containsKey(path), path + " is published but was never acknowledged");
    }

    assertEquals(List.of(), settledLeftovers(), "scratch left after the restart");
  }

  /** Scratch entries that are still there a moment later, so that a housekeeping commit under way is not counted. */
  private List<String> settledLeftovers() throws Exception {
    List<String> first = leftovers();
    if (first.isEmpty()) {
      return first;
    }
    Thread.sleep(500);
    List<String> second = leftovers();
    second.retainAll(first);
    return second;
  }

  private List<String> leftovers() throws IOException {
    List<String> found = new ArrayList<>();
    Path served = layout.served(FQRN);
    Path state = layout.state(FQRN);
    listInto(layout.scratch(FQRN), "*", found);
    Path txn = served.resolve("data").resolve("txn");
    if (Files.isDirectory(txn)) {
      try (Stream<Path> walk = Files.walk(txn)) {
        walk.filter(p -> !p.equals(txn)).forEach(p -> found.add(p.toString()));
      }
    }
    listInto(served, ".*.tmp", found);
    listInto(state, ".*.tmp", found);
    listInto(layout.uploads(FQRN), "*.part", found);
    Path uploads = layout.uploads(FQRN);
    if (Files.isDirectory(uploads)) {
      try (Stream<Path> files = Files.list(uploads)) {
        files.filter(p -> !p.getFileName().toString().endsWith(".part"))
            // An upload's digest goes with it.
            .filter(p -> !claimable.contains(p.getFileName().toString().replaceFirst("\\.sha256$", "")))
            .forEach(p -> found.add(p + " (an upload nobody can claim)"));
      }
    }
    if (Files.exists(state.resolve("quarantine"))) {
      found.add(state.resolve("quarantine").toString());
    }
    return found;
  }

  private static void listInto(Path directory, String glob, List<String> found) throws IOException {
    if (!Files.isDirectory(directory)) {
      return;
    }
    try (var stream = Files.newDirectoryStream(directory, glob)) {
      stream.forEach(p -> found.add(p.toString()));
    }
  }

  private java.util.Optional<Set<String>> listed() {
    try {
      Response response = call("GET", "/api/v1/repos/" + FQRN + "/paths", null);
      if (response.status() != 200) {
        return java.util.Optional.empty();
      }
      Set<String> paths = new TreeSet<>();
      response.json().get("publications").forEach(p -> paths.add(p.get("path").asText()));
      return java.util.Optional.of(paths);
    } catch (IOException e) {
      return java.util.Optional.empty();
    }
  }

  private long revisionOnDisk() throws IOException {
    Path manifest = layout.served(FQRN).resolve(Repository.MANIFEST);
    if (!Files.exists(manifest)) {
      return 0;
    }
    return Manifest.parse(SignedDocument.parse(Files.readAllBytes(manifest))).revision();
  }

  private String waited(Trial trial) {
    return trial.ofLatency() > 0 ? ", kill " + commitWait(trial) + "/" + latency.getOrDefault(trial.kind(), -1L) + " ms" : "";
  }

  private String evidence(String progress, Response response) throws IOException {
    Path txn = layout.served(FQRN).resolve("data").resolve("txn");
    return String.format(Locale.ROOT, "%s; tmp %d txn %d part %d; %s", progress, count(layout.scratch(FQRN)), count(txn),
        countMatching(layout.uploads(FQRN), "*.part"), response.status() < 0 ? "no answer" : "answered " + response.status());
  }

  private int sampledObjects() {
    int n = 0;
    for (int shard = 0; shard < 16; shard++) {
      n += count(layout.served(FQRN).resolve("data").resolve(String.format(Locale.ROOT, "%02x", shard)));
    }
    return n;
  }

  private static int count(Path directory) {
    if (!Files.isDirectory(directory)) {
      return 0;
    }
    try (Stream<Path> list = Files.list(directory)) {
      return (int) list.count();
    } catch (IOException e) {
      return -1;
    }
  }

  private static int countMatching(Path directory, String glob) throws IOException {
    if (!Files.isDirectory(directory)) {
      return 0;
    }
    int n = 0;
    try (var stream = Files.newDirectoryStream(directory, glob)) {
      for (Path ignored : stream) {
        n++;
      }
    }
    return n;
  }

  // ---------------------------------------------------------------- the child process

  private void start() throws Exception {
    Path log = launch();
    long began = System.nanoTime();
    long deadline = began + START_LIMIT.toNanos();
    while (System.nanoTime() < deadline) {
      Matcher matcher = SERVING.matcher(Files.readString(log));
      if (matcher.find()) {
        base = matcher.group(1);
        startMillis.add((System.nanoTime() - began) / 1_000_000);
        return;
      }
      if (!server.isAlive()) {
        fail("serve exited with " + server.exitValue() + " at start " + starts + ": " + tail(log, 40));
      }
      Thread.sleep(25);
    }
    fail("serve did not start within " + START_LIMIT + ": " + tail(log, 40));
  }

  /** Starts the child without waiting for it; returns its log. */
  private Path launch() throws IOException {
    Path log = temp.resolve("serve-" + ++starts + ".log");
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(Arrays.asList(JVM_ARGS.trim().split("\\s+")));
    command.addAll(List.of("-cp", System.getProperty("java.class.path"), "io.ephemeral.cvmfs.dataplane.cli.Main", "serve",
        "--data", data.toString(), "--repository", FQRN, "--bind", "127.0.0.1", "--port", "0",
        "--notification-port", "-1", "--gc-interval", "0", "--gc-grace", "0", "--housekeeping-interval", "1s"));
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
    builder.environment().put("CVMFS_EPHEMERAL_TOKEN", TOKEN);
    server = builder.start();
    return log;
  }

  /** SIGKILL: {@link Process#destroyForcibly} sends it on Linux. */
  private void kill() throws InterruptedException {
    server.destroyForcibly();
    assertTrue(server.waitFor(30, TimeUnit.SECONDS), "the killed server did not exit");
  }

  private Path currentLog() {
    return temp.resolve("serve-" + starts + ".log");
  }

  private static String tail(Path log, int lines) {
    try {
      List<String> all = Files.readAllLines(log);
      return String.join("\n    ", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  // ---------------------------------------------------------------- content

  private static byte[] marker(Trial trial) {
    return ("trial " + trial.number() + " " + trial.kind().label + " " + trial.stage() + "\n").getBytes(StandardCharsets.UTF_8);
  }

  /** A tree with the marker and enough incompressible bytes that a body takes a while to send. */
  private static byte[] tree(Trial trial, byte[] marker) {
    return Tars.tar().dir("data").file("marker.txt", marker, 0644)
        .file("data/bulk.bin", randomBytes(trial.number(), 384 << 10), 0644)
        .file("data/small.txt", "small " + trial.number() + "\n").bytes();
  }

  private static byte[] randomBytes(long seed, int size) {
    byte[] bytes = new byte[size];
    new Random(seed * 7919).nextBytes(bytes);
    return bytes;
  }

  /** What {@code docker save} writes: a directory per layer, the config, manifest.json last. */
  private static byte[] dockerArchive(byte[] layer) throws IOException {
    String id = sha256(layer);
    ArrayNode manifest = JSON.createArrayNode();
    ObjectNode image = manifest.addObject().put("Config", "config.json");
    image.putArray("RepoTags").add("kill-matrix:latest");
    image.putArray("Layers").add(id + "/layer.tar");
    return Tars.tar().dir(id + "/").file(id + "/VERSION", "1.0").file(id + "/layer.tar", layer, 0644)
        .file("config.json", "{\"architecture\":\"amd64\",\"os\":\"linux\"}")
        .file("manifest.json", JSON.writeValueAsBytes(manifest), 0644).bytes();
  }

  /** An OCI image layout with one image of one uncompressed layer; index.json last. */
  private static byte[] ociArchive(byte[] layer) throws IOException {
    byte[] config = "{\"architecture\":\"amd64\",\"os\":\"linux\"}".getBytes(StandardCharsets.UTF_8);
    ObjectNode manifest = JSON.createObjectNode().put("schemaVersion", 2)
        .put("mediaType", "application/vnd.oci.image.manifest.v1+json");
    manifest.set("config", descriptor("application/vnd.oci.image.config.v1+json", config));
    manifest.putArray("layers").add(descriptor("application/vnd.oci.image.layer.v1.tar", layer));
    byte[] manifestBytes = JSON.writeValueAsBytes(manifest);
    ObjectNode index = JSON.createObjectNode().put("schemaVersion", 2)
        .put("mediaType", "application/vnd.oci.image.index.v1+json");
    index.putArray("manifests").add(descriptor("application/vnd.oci.image.manifest.v1+json", manifestBytes));
    return Tars.tar().file("oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}").dir("blobs/").dir("blobs/sha256/")
        .file("blobs/sha256/" + sha256(layer), layer, 0644).file("blobs/sha256/" + sha256(config), config, 0644)
        .file("blobs/sha256/" + sha256(manifestBytes), manifestBytes, 0644)
        .file("index.json", JSON.writeValueAsBytes(index), 0644).bytes();
  }

  private static ObjectNode descriptor(String mediaType, byte[] content) {
    return JSON.createObjectNode().put("mediaType", mediaType).put("digest", "sha256:" + sha256(content))
        .put("size", content.length);
  }

  private static String sha256(byte[] data) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  // ---------------------------------------------------------------- the slow origin of URL sources

  private void startOrigin() throws IOException {
    origin = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    ExecutorService threads = Executors.newCachedThreadPool(r -> {
      Thread thread = new Thread(r, "slow-origin");
      thread.setDaemon(true);
      return thread;
    });
    origin.setExecutor(threads);
    origin.createContext("/", exchange -> {
      byte[] content = originFiles.get(exchange.getRequestURI().getPath());
      try (exchange) {
        if (content == null) {
          exchange.sendResponseHeaders(404, -1);
          return;
        }
        AtomicLong sent = originSent.computeIfAbsent(exchange.getRequestURI().getPath(), f -> new AtomicLong());
        exchange.sendResponseHeaders(200, content.length);
        OutputStream out = exchange.getResponseBody();
        // Slowly, so that a kill can land while the server is still fetching.
        for (int offset = 0; offset < content.length; offset += 16 << 10) {
          int length = Math.min(16 << 10, content.length - offset);
          out.write(content, offset, length);
          out.flush();
          sent.addAndGet(length);
          sleep(10);
        }
      } catch (IOException e) {
        // The fetching server was killed.
      }
    });
    origin.start();
  }

  // ---------------------------------------------------------------- HTTP

  record Response(int status, String body) {
    static final Response NONE = new Response(-1, null);

    JsonNode json() throws IOException {
      return body == null || body.isEmpty() ? null : JSON.readTree(body);
    }
  }

  private Response call(String method, String target, byte[] body) throws IOException {
    byte[] content = body == null ? new byte[0] : body;
    try (Exchange exchange = new Exchange(method, target, "application/octet-stream", content.length)) {
      exchange.write(content, 0, content.length);
      return exchange.await(Duration.ofSeconds(60));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    }
  }

  /**
   * One request over a plain socket, so that the body can stop anywhere: the head, then the body
   * in slices as the trial sends it; a thread reads the response whenever it comes.
   */
  private final class Exchange implements AutoCloseable {
    private final Socket socket;
    private final OutputStream out;
    private final CountDownLatch answered = new CountDownLatch(1);
    private volatile Response response = Response.NONE;

    Exchange(String method, String target, String contentType, long length) throws IOException {
      URI uri = URI.create(base);
      socket = new Socket(uri.getHost(), uri.getPort());
      socket.setSoTimeout(180_000);
      out = socket.getOutputStream();
      String head = method + " " + target + " HTTP/1.1\r\nHost: " + uri.getHost() + ":" + uri.getPort()
          + "\r\nAuthorization: Bearer " + TOKEN + "\r\nContent-Type: " + contentType + "\r\nContent-Length: " + length
          + "\r\nConnection: close\r\n\r\n";
      out.write(head.getBytes(StandardCharsets.US_ASCII));
      out.flush();
      Thread reader = new Thread(this::read, "response-reader");
      reader.setDaemon(true);
      reader.start();
    }

    /** Writes {@code [from, to)} of {@code body} in slices with short pauses, as a client on a slow link. */
    void write(byte[] body, int from, int to) {
      try {
        for (int offset = from; offset < to; offset += 32 << 10) {
          out.write(body, offset, Math.min(32 << 10, to - offset));
          out.flush();
          sleep(3);
        }
      } catch (IOException e) {
        // Answered early, or the server is gone: the response (or its absence) tells.
      }
    }

    Response await(Duration timeout) throws InterruptedException {
      answered.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
      return response;
    }

    Response responseNow() {
      return response;
    }

    private void read() {
      try (InputStream in = new BufferedInputStream(socket.getInputStream())) {
        String status = line(in);
        if (status == null) {
          return;
        }
        long length = -1;
        boolean chunked = false;
        for (String header = line(in); header != null && !header.isEmpty(); header = line(in)) {
          String lower = header.toLowerCase(Locale.ROOT);
          if (lower.startsWith("content-length:")) {
            length = Long.parseLong(lower.substring(15).trim());
          } else if (lower.startsWith("transfer-encoding:") && lower.contains("chunked")) {
            chunked = true;
          }
        }
        byte[] body;
        if (chunked) {
          ByteArrayOutputStream collected = new ByteArrayOutputStream();
          for (String size = line(in); size != null; size = line(in)) {
            int n = Integer.parseInt(size.split(";")[0].trim(), 16);
            if (n == 0) {
              break;
            }
            byte[] chunk = in.readNBytes(n);
            if (chunk.length < n) {
              return;
            }
            collected.writeBytes(chunk);
            line(in);
          }
          body = collected.toByteArray();
        } else if (length >= 0) {
          body = in.readNBytes((int) length);
          if (body.length < length) {
            return; // cut off: the client never saw an answer
          }
        } else {
          body = in.readAllBytes();
        }
        response = new Response(Integer.parseInt(status.split(" ")[1]), new String(body, StandardCharsets.UTF_8));
      } catch (IOException | RuntimeException e) {
        // Reset by the kill: no answer.
      } finally {
        answered.countDown();
      }
    }

    private static String line(InputStream in) throws IOException {
      ByteArrayOutputStream line = new ByteArrayOutputStream();
      for (int b = in.read(); b >= 0; b = in.read()) {
        if (b == '\n') {
          String text = line.toString(StandardCharsets.ISO_8859_1);
          return text.endsWith("\r") ? text.substring(0, text.length() - 1) : text;
        }
        line.write(b);
      }
      return null;
    }

    @Override
    public void close() {
      try {
        socket.close();
      } catch (IOException e) {
        // Closing only.
      }
    }
  }

  // ---------------------------------------------------------------- waiting

  private static void awaitCondition(BooleanSupplier condition, Duration timeout, String what) {
    if (!pollFor(condition, timeout, 2)) {
      throw new AssertionError("timed out waiting for " + what);
    }
  }

  private static boolean pollFor(BooleanSupplier condition, Duration timeout, long everyMillis) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (condition.getAsBoolean()) {
        return true;
      }
      sleep(everyMillis);
    }
    return condition.getAsBoolean();
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
