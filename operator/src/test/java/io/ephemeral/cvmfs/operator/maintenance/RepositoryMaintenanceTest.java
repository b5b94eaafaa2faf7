package io.ephemeral.cvmfs.operator.maintenance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import io.ephemeral.cvmfs.common.format.HashAlgorithm;
import io.ephemeral.cvmfs.common.format.Whitelist;
import io.ephemeral.cvmfs.dataplane.maintenance.MaintenanceSettings;
import io.ephemeral.cvmfs.dataplane.server.DataPlane;
import io.ephemeral.cvmfs.dataplane.server.DataPlaneConfig;
import io.ephemeral.cvmfs.operator.MockCluster;
import io.ephemeral.cvmfs.operator.dataplane.DataPlaneClient;
import io.ephemeral.cvmfs.operator.keys.MasterKey;
import io.ephemeral.cvmfs.operator.keys.RepositoryKeySet;
import io.ephemeral.cvmfs.operator.keys.SecretFiles;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@EnableKubernetesMockClient(crud = true)
class RepositoryMaintenanceTest {

  static final String NS = "ci";
  static final String SECRET = "builds-keys";
  static final String FQRN = "builds.example.org";
  static final String TOKEN = "maintenance-test-token";
  static final Duration VALIDITY = Duration.ofDays(12);

  // RSA key generation is the slow part: one set for every test.
  static MasterKey master;
  static RepositoryKeySet keys;
  static Instant now;

  KubernetesClient client;
  @TempDir
  Path dir;
  Path keysDir;
  DataPlane dataPlane;
  Map<String, String> secretBefore;

  @BeforeAll
  static void generateKeys() {
    now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    master = MasterKey.generate();
    // Signed 29 days ago for 30 days: one day left, the state a maintenance run is for.
    keys = RepositoryKeySet.generate(FQRN, master, HashAlgorithm.SHA1, Duration.ofDays(30),
        now.minus(Duration.ofDays(29)));
  }

  @BeforeEach
  void setUp() throws IOException {
    keysDir = Files.createDirectories(dir.resolve("keys"));
    Files.writeString(keysDir.resolve(SecretFiles.repositoryKey(FQRN)), keys.repositoryKeyPem());
    Files.writeString(keysDir.resolve(SecretFiles.certificate(FQRN)), keys.certificatePem());
    Files.writeString(keysDir.resolve(SecretFiles.masterPublicKey(FQRN)), keys.masterPublicKeyPem());
    Files.write(keysDir.resolve(SecretFiles.whitelist(FQRN)), keys.whitelist());
    Secret secret = new SecretBuilder().withNewMetadata().withName(SECRET).withNamespace(NS).endMetadata()
        .addToData(SecretFiles.repositoryKey(FQRN), SecretFiles.encode(keys.repositoryKeyPem()))
        .addToData(SecretFiles.certificate(FQRN), SecretFiles.encode(keys.certificatePem()))
        .addToData(SecretFiles.masterPublicKey(FQRN), SecretFiles.encode(keys.masterPublicKeyPem()))
        .addToData(SecretFiles.whitelist(FQRN), SecretFiles.encode(keys.whitelist()))
        .build();
    secretBefore = client.secrets().inNamespace(NS).resource(secret).create().getData();
    // The data plane reads the keys Secret as the pod mounts it: a keys directory holding the whitelist.
    DataPlaneConfig local = DataPlaneConfig.local(dir.resolve("data"), List.of(FQRN)).withKeysDirectory(keysDir)
        .withMaintenance(MaintenanceSettings.DEFAULT.withWhitelistFile(keysDir + "/{fqrn}.cvmfswhitelist",
            Duration.ofMillis(200)));
    dataPlane = DataPlane.start(new DataPlaneConfig(local.dataDirectory(), local.keysDirectory(),
        local.repositories(), local.creationOptions(), local.minRevision(), local.bindAddress(), local.port(),
        local.notificationPort(), local.publicUrl(), local.tokenFile(), TOKEN, local.policy(),
        local.housekeepingInterval(), local.legacyApiWithoutToken(), local.maintenance(), local.objectCacheBytes()));
  }

  @AfterEach
  void tearDown() {
    dataPlane.close();
  }

  @Test
  void resignsIntoTheSecretHandsTheWhitelistToTheDataPlaneAndCollectsGarbage() throws Exception {
    assertArrayEquals(keys.whitelist(), served());

    RepositoryMaintenance.Result result = maintenance().run(request(dataPlaneUrl(), masterKeyFile(master)));

    assertTrue(result.succeeded(), result.errors().toString());
    assertEquals(List.of(), result.warnings());
    Secret secret = secret();
    byte[] whitelist = SecretFiles.read(secret, SecretFiles.whitelist(FQRN)).orElseThrow();
    Whitelist parsed = checked(whitelist);
    assertEquals(now, parsed.issued());
    assertEquals(now.plus(VALIDITY), parsed.expires());
    assertEquals(parsed.clientExpiry(), result.whitelistExpiresAt());
    for (String key : List.of(SecretFiles.repositoryKey(FQRN), SecretFiles.certificate(FQRN),
        SecretFiles.masterPublicKey(FQRN))) {
      assertEquals(secretBefore.get(key), secret.getData().get(key), key);
    }
    assertEquals(4, secret.getData().size());
    assertArrayEquals(whitelist, served());
    assertTrue(result.gc().has("objectsFreed") && result.gc().has("objectsKept"), result.gc().toString());
    assertTrue(result.gc().get("objectsKept").asLong() > 0, result.gc().toString());
    assertEquals(FQRN, result.summary().get("fqrn").asText());
    assertEquals(parsed.clientExpiry().toString(), result.summary().get("whitelistExpiresAt").asText());
    assertEquals(result.gc(), result.summary().get("gc"));
  }

  @Test
  void aMasterKeyThatDoesNotMatchChangesNothing() throws Exception {
    RepositoryMaintenance.Result result = maintenance().run(request(dataPlaneUrl(), masterKeyFile(MasterKey.generate())));

    assertFalse(result.succeeded());
    assertEquals(1, result.errors().size(), result.errors().toString());
    assertTrue(result.errors().get(0).contains("not signed by the master key"), result.errors().get(0));
    assertNull(result.whitelistExpiresAt());
    assertEquals(secretBefore, secret().getData());
    assertArrayEquals(keys.whitelist(), served());
    // Collection does not depend on the whitelist and still ran.
    assertNotNull(result.gc());
  }

  @Test
  void anUnreachableDataPlaneStillGetsTheSecretResignedButFails() throws Exception {
    RepositoryMaintenance.Result result = maintenance().run(request(URI.create("http://127.0.0.1:1"),
        masterKeyFile(master)));

    assertFalse(result.succeeded());
    assertEquals(1, result.errors().size(), result.errors().toString());
    assertTrue(result.errors().get(0).startsWith("garbage collection failed"), result.errors().get(0));
    assertEquals(1, result.warnings().size(), result.warnings().toString());
    assertNull(result.gc());
    assertNotNull(result.whitelistExpiresAt());
    byte[] whitelist = SecretFiles.read(secret(), SecretFiles.whitelist(FQRN)).orElseThrow();
    assertFalse(Arrays.equals(keys.whitelist(), whitelist));
    assertEquals(now.plus(VALIDITY), checked(whitelist).expires());

    // What the kubelet does with the mounted Secret; the data plane then serves it without being told.
    Files.write(keysDir.resolve(SecretFiles.whitelist(FQRN)), whitelist);
    MockCluster.await("the data plane to serve the Secret's whitelist", Duration.ofSeconds(10),
        () -> Arrays.equals(whitelist, servedOrNull()));
  }

  /**
   * With several replicas the CronJob's calls through the Service may reach a follower, which
   * answers 307 to the writer's own address: the token, method and body must go there too.
   */
  @Test
  void aFollowersRedirectToTheWriterIsFollowedWithTheTokenAndTheBody() throws Exception {
    HttpServer follower = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    List<String> redirected = new CopyOnWriteArrayList<>();
    follower.createContext("/", exchange -> {
      redirected.add(exchange.getRequestMethod() + " " + exchange.getRequestURI().getPath());
      // Another authority than the one called, as a pod's address is beside the Service's name.
      exchange.getResponseHeaders().add("Location", "http://localhost:" + dataPlane.port() + exchange.getRequestURI());
      exchange.sendResponseHeaders(307, -1);
      exchange.close();
    });
    follower.start();
    try {
      RepositoryMaintenance.Result result = maintenance().run(request(
          URI.create("http://127.0.0.1:" + follower.getAddress().getPort()), masterKeyFile(master)));

      assertTrue(result.succeeded(), result.errors().toString());
      assertEquals(List.of("PUT /api/v1/repos/" + FQRN + "/whitelist", "POST /api/v1/repos/" + FQRN + "/gc"),
          redirected);
      assertArrayEquals(SecretFiles.read(secret(), SecretFiles.whitelist(FQRN)).orElseThrow(), served());
      assertTrue(result.gc().has("objectsKept"), result.gc().toString());
    } finally {
      follower.stop(0);
    }
  }

  /** The whitelist as a client checks it, against the keys the repository was made with. */
  private static Whitelist checked(byte[] whitelist) throws Exception {
    return new RepositoryKeySet(FQRN, keys.repositoryKey(), keys.certificate(), keys.masterPublicKey(), whitelist)
        .checkedWhitelist(now);
  }

  private RepositoryMaintenance maintenance() {
    return new RepositoryMaintenance(client, new DataPlaneClient(Duration.ofSeconds(2), Duration.ofSeconds(30)),
        Clock.fixed(now, ZoneOffset.UTC));
  }

  private static RepositoryMaintenance.Request request(URI dataPlaneUrl, Path masterKeyFile) {
    return new RepositoryMaintenance.Request(NS, SECRET, FQRN, HashAlgorithm.SHA1, dataPlaneUrl, masterKeyFile,
        VALIDITY, TOKEN);
  }

  private Path masterKeyFile(MasterKey key) throws IOException {
    return Files.writeString(dir.resolve("master.key"), key.privatePem());
  }

  private URI dataPlaneUrl() {
    return URI.create("http://127.0.0.1:" + dataPlane.port());
  }

  private Secret secret() {
    return client.secrets().inNamespace(NS).withName(SECRET).get();
  }

  private byte[] served() throws IOException, InterruptedException {
    var response = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create(dataPlaneUrl() + "/cvmfs/" + FQRN + "/.cvmfswhitelist")).build(),
        BodyHandlers.ofByteArray());
    assertEquals(200, response.statusCode());
    return response.body();
  }

  private byte[] servedOrNull() {
    try {
      return served();
    } catch (IOException | InterruptedException e) {
      return null;
    }
  }
}
