package io.ephemeral.cvmfs.dataplane.maintenance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.ephemeral.cvmfs.common.format.HashAlgorithm;
import io.ephemeral.cvmfs.common.format.KeyGenerator;
import io.ephemeral.cvmfs.common.format.Pem;
import io.ephemeral.cvmfs.common.maintenance.WhitelistSigner;
import io.ephemeral.cvmfs.dataplane.api.JsonResponses;
import io.ephemeral.cvmfs.dataplane.http.HttpServerConfig;
import io.ephemeral.cvmfs.dataplane.repository.Repository;
import io.ephemeral.cvmfs.dataplane.server.DataPlane;
import io.ephemeral.cvmfs.dataplane.server.DataPlaneConfig;
import io.ephemeral.cvmfs.dataplane.testsupport.ApiRequests;
import io.ephemeral.cvmfs.dataplane.testsupport.CliRunner;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** GC and whitelist endpoints, the whitelist file watch, health and the two commands, against a live data plane. */
class MaintenanceApiTest {

  private static final String REPO = "maint.example.org";
  private static final String TOKEN = "maintenance-token";

  @TempDir
  static Path temp;

  private static Path data;
  private static Path secret;
  private static DataPlane dataPlane;
  private static String base;

  @BeforeAll
  static void start() throws Exception {
    data = temp.resolve("data");
    secret = Files.createDirectories(temp.resolve("secret"));
    Files.writeString(temp.resolve("token"), TOKEN);
    DataPlaneConfig config = new DataPlaneConfig(data, null, List.of(REPO), DataPlaneConfig.local(data, List.of(REPO))
        .creationOptions(), 0, "127.0.0.1", 0, -1, null, temp.resolve("token"), null,
        DataPlaneConfig.local(data, List.of(REPO)).policy(), Duration.ofSeconds(5), false,
        MaintenanceSettings.DEFAULT.withGc(null, Duration.ZERO)
            .withWhitelistFile(secret.resolve("{fqrn}").resolve("whitelist").toString(), Duration.ofMillis(200)),
        HttpServerConfig.DEFAULT_OBJECT_CACHE_BYTES);
    dataPlane = DataPlane.start(config);
    base = "http://127.0.0.1:" + dataPlane.port();
  }

  @AfterAll
  static void stop() {
    dataPlane.close();
  }

  static HttpResponse<String> send(String method, String path, byte[] body, String token) throws Exception {
    return ApiRequests.send(HttpRequest.newBuilder(URI.create(base + path))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body)), token);
  }

  private static JsonNode json(HttpResponse<String> response) throws IOException {
    return JsonResponses.JSON.readTree(response.body());
  }

  private static WhitelistSigner signer() throws IOException {
    return new WhitelistSigner(REPO, Pem.readCertificate(Files.readString(data.resolve("keys").resolve(REPO + ".crt"))),
        Pem.readPrivateKey(Files.readString(data.resolve("keys").resolve(REPO + ".masterkey"))), HashAlgorithm.SHA1);
  }

  private static byte[] served() throws IOException {
    return Files.readAllBytes(data.resolve(REPO).resolve(Repository.WHITELIST));
  }

  @Test
  void gcEndpointNeedsTheTokenAndAnswersTotals() throws Exception {
    assertEquals(401, send("POST", "/api/v1/repos/" + REPO + "/gc", null, null).statusCode());
    assertEquals(403, send("POST", "/api/v1/repos/" + REPO + "/gc", null, "wrong").statusCode());
    assertEquals(405, send("GET", "/api/v1/repos/" + REPO + "/gc", null, TOKEN).statusCode());
    assertEquals(404, send("POST", "/api/v1/repos/unknown.example.org/gc", null, TOKEN).statusCode());
    HttpResponse<String> dry = send("POST", "/api/v1/repos/" + REPO + "/gc?dryRun=true", null, TOKEN);
    assertEquals(200, dry.statusCode(), dry.body());
    assertTrue(json(dry).get("dryRun").asBoolean());
    HttpResponse<String> real = send("POST", "/api/v1/repos/" + REPO + "/gc", null, TOKEN);
    assertEquals(200, real.statusCode(), real.body());
    for (String field : List.of("objectsFreed", "bytesFreed", "objectsKept", "durationMs")) {
      assertTrue(json(real).get(field).isNumber(), field);
    }
    assertTrue(json(real).get("objectsKept").asLong() >= 2, real.body()); // root catalog and certificate
  }

  @Test
  void putWhitelistServesAValidOneAndRefusesBadOnes() throws Exception {
    byte[] before = served();
    byte[] otherKey = new WhitelistSigner(REPO, signer().certificate(), KeyGenerator.rsaKeyPair().getPrivate(),
        HashAlgorithm.SHA1).sign(Instant.now(), Duration.ofDays(10));
    byte[] expired = signer().sign(Instant.now().minus(Duration.ofDays(20)), Duration.ofDays(10));
    byte[] otherName = new WhitelistSigner("other.example.org", signer().certificate(), signer().masterKey(),
        HashAlgorithm.SHA1).sign(Instant.now(), Duration.ofDays(10));
    for (byte[] bad : List.of(otherKey, expired, otherName, "garbage".getBytes())) {
      HttpResponse<String> response = send("PUT", "/api/v1/repos/" + REPO + "/whitelist", bad, TOKEN);
      assertEquals(422, response.statusCode(), response.body());
      assertEquals("invalid_whitelist", json(response).get("error").asText());
      assertArrayEquals(before, served());
    }
    assertEquals(401, send("PUT", "/api/v1/repos/" + REPO + "/whitelist", before, null).statusCode());

    byte[] fresh = signer().sign(Instant.now(), Duration.ofDays(20));
    HttpResponse<String> ok = send("PUT", "/api/v1/repos/" + REPO + "/whitelist", fresh, TOKEN);
    assertEquals(200, ok.statusCode(), ok.body());
    assertArrayEquals(fresh, served());
    assertEquals(200, send("GET", "/healthz", null, null).statusCode());
    assertEquals(200, send("GET", "/readyz", null, null).statusCode());

    byte[] shortLived = signer().sign(Instant.now(), Duration.ofDays(2));
    assertEquals(200, send("PUT", "/api/v1/repos/" + REPO + "/whitelist", shortLived, TOKEN).statusCode());
    // Close to expiry is a warning: the only replica stays in its Service while it still serves.
    HttpResponse<String> warning = send("GET", "/readyz", null, null);
    assertEquals(200, warning.statusCode(), warning.body());
    assertTrue(json(warning).get("warnings").get(0).asText().contains("re-sign"), warning.body());

    // resign-whitelist needs no lock: it works while the server runs, which serves the result at once.
    CliRunner.Result resign = CliRunner.run("resign-whitelist", "--data", data.toString(), "--repository", REPO, "--days", "30");
    assertEquals(0, resign.exitCode(), resign.stderr());
    assertEquals(200, send("GET", "/readyz", null, null).statusCode());
    assertArrayEquals(served(), ApiRequests.HTTP.send(HttpRequest.newBuilder(URI.create(base + "/cvmfs/" + REPO + "/.cvmfswhitelist"))
        .build(), HttpResponse.BodyHandlers.ofByteArray()).body());
  }

  @Test
  void aWhitelistSwappedInTheSecretIsServedWithinSeconds() throws Exception {
    // The kubelet's layout: FILE -> ..data/FILE, ..data -> a timestamped directory, swapped by rename.
    Path mount = Files.createDirectories(secret.resolve(REPO));
    byte[] first = signer().sign(Instant.now(), Duration.ofDays(11));
    Path generation1 = Files.createDirectories(mount.resolve("..2030_01"));
    Files.write(generation1.resolve("whitelist"), first);
    Files.createSymbolicLink(mount.resolve("..data"), generation1.getFileName());
    Files.createSymbolicLink(mount.resolve("whitelist"), Path.of("..data/whitelist"));
    awaitServed(first);

    byte[] second = signer().sign(Instant.now(), Duration.ofDays(12));
    Path generation2 = Files.createDirectories(mount.resolve("..2030_02"));
    Files.write(generation2.resolve("whitelist"), second);
    Files.createSymbolicLink(mount.resolve("..data_tmp"), generation2.getFileName());
    Files.move(mount.resolve("..data_tmp"), mount.resolve("..data"), StandardCopyOption.ATOMIC_MOVE);
    awaitServed(second);

    // A bad whitelist in the Secret is not served.
    Path generation3 = Files.createDirectories(mount.resolve("..2030_03"));
    Files.write(generation3.resolve("whitelist"), signer().sign(Instant.now().minus(Duration.ofDays(30)), Duration.ofDays(1)));
    Files.createSymbolicLink(mount.resolve("..data_tmp"), generation3.getFileName());
    Files.move(mount.resolve("..data_tmp"), mount.resolve("..data"), StandardCopyOption.ATOMIC_MOVE);
    Thread.sleep(1000);
    assertArrayEquals(second, served());
  }

  private static void awaitServed(byte[] expected) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
    while (!java.util.Arrays.equals(expected, served())) {
      assertTrue(System.nanoTime() < deadline, "the new whitelist was not served within 5 s");
      Thread.sleep(50);
    }
  }

  @Test
  void metricsAreScrapedInThePrometheusFormat() throws Exception {
    HttpResponse<String> published = send("PUT", "/api/v1/repos/" + REPO + "/paths/metrics/file.bin?format=file",
        "twelve bytes".getBytes(), TOKEN);
    assertEquals(201, published.statusCode(), published.body());
    assertEquals(200, send("POST", "/api/v1/repos/" + REPO + "/gc", null, TOKEN).statusCode());
    HttpResponse<String> scraped = send("GET", "/metrics", null, null);
    assertEquals(200, scraped.statusCode());
    assertTrue(scraped.headers().firstValue("Content-Type").orElseThrow().startsWith("text/plain; version=0.0.4"));
    java.util.Map<String, Double> samples = parsePrometheus(scraped.body());
    String tag = "{repository=\"" + REPO + "\"}";
    assertTrue(samples.get("cvmfs_publishes_total" + tag) >= 1, scraped.body());
    assertTrue(samples.get("cvmfs_published_bytes_total" + tag) >= 12);
    assertTrue(samples.get("cvmfs_publish_duration_seconds_count" + tag) >= 1);
    assertTrue(samples.keySet().stream().anyMatch(k -> k.startsWith("cvmfs_publish_duration_seconds_bucket{")));
    assertTrue(samples.get("cvmfs_gc_runs_total" + tag) >= 1);
    assertTrue(samples.containsKey("cvmfs_gc_freed_bytes_total" + tag));
    assertTrue(samples.get("cvmfs_store_objects" + tag) >= 3);
    assertTrue(samples.get("cvmfs_store_bytes" + tag) > 0);
    assertTrue(samples.get("cvmfs_whitelist_seconds_left" + tag) > 86400);
    // The data plane reports its notification hub: nobody subscribes in this test.
    assertEquals(0.0, samples.get("cvmfs_subscribers" + tag));
  }

  /** Sample lines {@code name{labels} value}, keyed by everything before the value; comments checked for form. */
  private static java.util.Map<String, Double> parsePrometheus(String text) {
    java.util.Map<String, Double> samples = new java.util.HashMap<>();
    for (String line : text.split("\n")) {
      if (line.isBlank()) {
        continue;
      }
      if (line.startsWith("#")) {
        assertTrue(line.startsWith("# HELP ") || line.startsWith("# TYPE "), line);
        continue;
      }
      int space = line.lastIndexOf(' ');
      assertTrue(space > 0 && line.substring(0, space).matches("[a-zA-Z_:][a-zA-Z0-9_:]*(\\{.*\\})?"), line);
      // The 0.0.4 format allows a comma after the last label.
      samples.put(line.substring(0, space).replace(",}", "}"), Double.parseDouble(line.substring(space + 1)));
    }
    return samples;
  }

  @Test
  void servesWithoutTheMasterPrivateKey(@TempDir Path other) throws Exception {
    Path dir = other.resolve("data");
    String fqrn = "nomaster.example.org";
    DataPlane.start(DataPlaneConfig.local(dir, List.of(fqrn))).close();
    Path keys = dir.resolve("keys");
    byte[] external = new WhitelistSigner(fqrn, Pem.readCertificate(Files.readString(keys.resolve(fqrn + ".crt"))),
        Pem.readPrivateKey(Files.readString(keys.resolve(fqrn + ".masterkey"))), HashAlgorithm.SHA1)
        .sign(Instant.now(), Duration.ofDays(9));
    Files.write(other.resolve("whitelist"), external);
    Files.delete(keys.resolve(fqrn + ".masterkey"));
    Files.delete(dir.resolve(fqrn).resolve(Repository.WHITELIST));
    try (DataPlane restarted = DataPlane.start(DataPlaneConfig.local(dir, List.of(fqrn)).withMaintenance(
        MaintenanceSettings.DEFAULT.withWhitelistFile(other.resolve("whitelist").toString(), Duration.ofSeconds(1))))) {
      assertArrayEquals(external, Files.readAllBytes(dir.resolve(fqrn).resolve(Repository.WHITELIST)));
      assertTrue(restarted.port() > 0);
    }
  }

  @Test
  void startsOnAnEmptyVolumeWithKeysFromAReadOnlySecret(@TempDir Path other) throws Exception {
    String fqrn = "mounted.example.org";
    Path first = other.resolve("first");
    DataPlane.start(DataPlaneConfig.local(first, List.of(fqrn))).close();
    // What the operator mounts: key, certificate, public master key and whitelist, no master key.
    Path secretDir = Files.createDirectories(other.resolve("secret"));
    for (String name : List.of(fqrn + ".key", fqrn + ".crt", fqrn + ".pub")) {
      Files.copy(first.resolve("keys").resolve(name), secretDir.resolve(name));
    }
    Files.copy(first.resolve(fqrn).resolve(Repository.WHITELIST), secretDir.resolve(fqrn + ".cvmfswhitelist"));
    Files.setPosixFilePermissions(secretDir, java.nio.file.attribute.PosixFilePermissions.fromString("r-xr-xr-x"));
    Path empty = other.resolve("empty");
    try (DataPlane dataPlane = DataPlane.start(DataPlaneConfig.local(empty, List.of(fqrn)).withKeysDirectory(secretDir)
        .withMaintenance(MaintenanceSettings.DEFAULT.withWhitelistFile(
            secretDir.resolve("{fqrn}.cvmfswhitelist").toString(), Duration.ofSeconds(1))))) {
      assertArrayEquals(Files.readAllBytes(secretDir.resolve(fqrn + ".cvmfswhitelist")),
          Files.readAllBytes(empty.resolve(fqrn).resolve(Repository.WHITELIST)));
      assertFalse(Files.exists(empty.resolve("keys")), "no key is written beside the data");
      CliRunner.Result verify = CliRunner.run("verify", "http://127.0.0.1:" + dataPlane.port() + "/cvmfs/" + fqrn,
          "--key", secretDir.resolve(fqrn + ".pub").toString());
      assertEquals(0, verify.exitCode(), verify.stderr());
    } finally {
      Files.setPosixFilePermissions(secretDir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
    }
  }

  @Test
  void gcCommandAnswersTotals(@TempDir Path other) throws Exception {
    Path tree = Files.createDirectories(other.resolve("tree"));
    Files.writeString(tree.resolve("f"), "content");
    Path dir = other.resolve("data");
    assertEquals(0, CliRunner.run("publish", "--data", dir.toString(), "--repository", REPO, "--path", "p", tree.toString())
        .exitCode());
    CliRunner.Result gc = CliRunner.run("gc", "--data", dir.toString(), "--repository", REPO, "--gc-grace", "0", "--dry-run");
    assertEquals(0, gc.exitCode(), gc.stderr());
    JsonNode result = JsonResponses.JSON.readTree(gc.stdout());
    assertTrue(result.get("dryRun").asBoolean());
    assertEquals(0, result.get("objectsFreed").asLong()); // everything is younger than the fence
    assertTrue(result.get("objectsKept").asLong() >= 4);
    assertFalse(CliRunner.run("gc", "--data", dir.toString(), "--repository", "none.example.org").exitCode() == 0);
  }
}
