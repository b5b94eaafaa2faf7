package io.ephemeral.cvmfs.operator.reconcilers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.ephemeral.cvmfs.dataplane.http.HttpServerConfig;
import io.ephemeral.cvmfs.dataplane.maintenance.MaintenanceSettings;
import io.ephemeral.cvmfs.dataplane.publish.PublicationPolicy;
import io.ephemeral.cvmfs.dataplane.repository.RepositoryOptions;
import io.ephemeral.cvmfs.dataplane.server.DataPlane;
import io.ephemeral.cvmfs.dataplane.server.DataPlaneConfig;
import io.ephemeral.cvmfs.dataplane.testsupport.LocalRegistry;
import io.ephemeral.cvmfs.operator.CvmfsOperator;
import io.ephemeral.cvmfs.operator.MockCluster;
import io.ephemeral.cvmfs.operator.OperatorConfig;
import io.ephemeral.cvmfs.operator.api.Condition;
import io.ephemeral.cvmfs.operator.api.CvmfsPublication;
import io.ephemeral.cvmfs.operator.api.CvmfsPublicationSpec;
import io.ephemeral.cvmfs.operator.api.CvmfsPublicationStatus.Phase;
import io.ephemeral.cvmfs.operator.api.CvmfsPublicationStatus;
import io.ephemeral.cvmfs.operator.api.CvmfsRepository;
import io.ephemeral.cvmfs.operator.api.CvmfsRepositorySpec;
import io.ephemeral.cvmfs.operator.api.PublicationLimits;
import io.ephemeral.cvmfs.operator.api.PublicationSource;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The publication lifecycle against a real data plane, with the operator on a mock API server. */
@EnableKubernetesMockClient(crud = true)
class CvmfsPublicationReconcilerTest {

  static final String NS = "pipelines";
  static final String FQRN = "artifacts.example.org";
  static final Duration WAIT = Duration.ofSeconds(30);
  static final ObjectMapper JSON = new ObjectMapper();

  KubernetesClient client;
  @TempDir
  Path temp;

  CvmfsOperator operator;
  DataPlane dataPlane;
  HttpServer sources;
  final AtomicReference<URI> dataPlaneUrl = new AtomicReference<>(URI.create("http://127.0.0.1:1"));
  final HttpClient http = HttpClient.newHttpClient();
  byte[] archive;
  String token;
  final CountDownLatch heldSource = new CountDownLatch(1);
  final ExecutorService sourceThreads = Executors.newCachedThreadPool();

  @BeforeEach
  void start() throws Exception {
    MockCluster.installCrds(client);
    operator = MockCluster.startOperator(client, OperatorConfig.local(), r -> dataPlaneUrl.get());
    CvmfsRepository repository = new CvmfsRepository();
    repository.setMetadata(new ObjectMetaBuilder().withName("artifacts").withNamespace(NS).build());
    repository.setSpec(CvmfsRepositorySpec.defaults().withFqrn(FQRN).withPublications(new PublicationLimits("1h", "1d", null)));
    client.resource(repository).create();
    MockCluster.await("the Secrets", WAIT, () -> client.secrets().inNamespace(NS).withName("artifacts-keys").get() != null
        && client.secrets().inNamespace(NS).withName("artifacts-token").get() != null);
    // The data plane gets what its pod would mount: the keys Secret as a directory, the token.
    Path keys = Files.createDirectories(temp.resolve("keys"));
    Secret keysSecret = client.secrets().inNamespace(NS).withName("artifacts-keys").get();
    for (var entry : keysSecret.getData().entrySet()) {
      Files.write(keys.resolve(entry.getKey()), Base64.getDecoder().decode(entry.getValue()));
    }
    token = new String(Base64.getDecoder().decode(client.secrets().inNamespace(NS).withName("artifacts-token").get()
        .getData().get("token")), StandardCharsets.UTF_8).strip();
    startDataPlane(temp.resolve("data"));

    archive = tarGz();
    sources = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    sources.createContext("/out.tar.gz", exchange -> {
      exchange.sendResponseHeaders(200, archive.length);
      exchange.getResponseBody().write(archive);
      exchange.close();
    });
    // The same archive, held back until the test lets it go: a large source still downloading.
    sources.createContext("/held.tar.gz", exchange -> {
      try {
        heldSource.await(WAIT.toSeconds(), TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      exchange.sendResponseHeaders(200, archive.length);
      exchange.getResponseBody().write(archive);
      exchange.close();
    });
    sources.setExecutor(sourceThreads);
    sources.start();
  }

  private void startDataPlane(Path data) throws Exception {
    Path keys = temp.resolve("keys");
    dataPlane = DataPlane.start(new DataPlaneConfig(data, keys, List.of(FQRN), RepositoryOptions.DEFAULT, 0,
        "127.0.0.1", 0, -1, null, null, token, PublicationPolicy.DEFAULT, Duration.ofMillis(300), false,
        MaintenanceSettings.DEFAULT.withGc(null, Duration.ZERO)
            .withWhitelistFile(keys.resolve("{fqrn}.cvmfswhitelist").toString(), Duration.ofSeconds(1)),
        HttpServerConfig.DEFAULT_OBJECT_CACHE_BYTES));
    dataPlaneUrl.set(URI.create("http://127.0.0.1:" + dataPlane.port()));
  }

  @AfterEach
  void stop() throws Exception {
    heldSource.countDown();
    operator.close();
    sources.stop(0);
    sourceThreads.shutdownNow();
    dataPlane.close();
  }

  @Test
  void aUrlSourceIsPublishedUntilItsTtlRunsOut() throws Exception {
    create("build-1", "builds/1", url(), sha256(archive), "4s");
    CvmfsPublication published = awaitPhase("build-1", Phase.Published);
    CvmfsPublicationStatus status = published.getStatus();
    assertTrue(status.revision() > 0);
    assertEquals(2L, status.files());
    assertEquals(11L, status.bytes());
    assertTrue(published.getMetadata().getFinalizers().stream().anyMatch(f -> f.contains("cvmfs")),
        "a finalizer guards the path");
    assertEquals(200, get("/api/v1/repos/" + FQRN + "/paths/builds/1").statusCode());
    assertTrue(events("build-1").contains("Published"));

    CvmfsPublication expired = awaitPhase("build-1", Phase.Expired);
    assertEquals(status.revision(), expired.getStatus().revision());
    MockCluster.await("the data plane to drop the path", WAIT,
        () -> get("/api/v1/repos/" + FQRN + "/paths/builds/1").statusCode() == 404);
  }

  @Test
  void aPrivateRegistryImageIsPublishedWithItsPullSecret() throws Exception {
    LocalRegistry.assumeAvailable();
    try (LocalRegistry registry = LocalRegistry.start(Files.createDirectories(temp.resolve("registry")), "ci", "pw")) {
      registry.pushImage("team/tool", "1.0", "linux", "amd64", List.of(archive));
      String auth = Base64.getEncoder().encodeToString("ci:pw".getBytes(StandardCharsets.UTF_8));
      String config = "{\"auths\":{\"" + registry.host() + "\":{\"auth\":\"" + auth + "\"}}}";
      client.resource(new io.fabric8.kubernetes.api.model.SecretBuilder()
          .withNewMetadata().withName("registry-pull").withNamespace(NS).endMetadata()
          .withType("kubernetes.io/dockerconfigjson")
          .addToData(".dockerconfigjson", Base64.getEncoder().encodeToString(config.getBytes(StandardCharsets.UTF_8)))
          .build()).create();
      String image = registry.host() + "/team/tool:1.0";
      createImage("image-1", "images/tool", image, "registry-pull");
      CvmfsPublication published = awaitPhase("image-1", Phase.Published);
      assertEquals(2L, published.getStatus().files());
      assertEquals(200, get("/api/v1/repos/" + FQRN + "/paths/images/tool").statusCode());

      // Without the Secret the registry refuses, which waiting does not change.
      createImage("image-2", "images/anonymous", image, null);
      assertFailed("image-2", CvmfsPublicationReconciler.SOURCE_UNAVAILABLE, "registry refused credentials");
      assertEquals(404, get("/api/v1/repos/" + FQRN + "/paths/images/anonymous").statusCode());
    }
  }

  private void createImage(String name, String path, String image, String pullSecret) {
    CvmfsPublication publication = new CvmfsPublication();
    publication.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(NS).build());
    publication.setSpec(new CvmfsPublicationSpec("artifacts", path,
        new PublicationSource(null, null, null, image, null, pullSecret), null, "1h", null, null));
    client.resource(publication).create();
  }

  @Test
  void deletingThePublicationRemovesThePath() throws Exception {
    create("build-2", "builds/2", url(), null, "1h");
    awaitPhase("build-2", Phase.Published);
    client.resources(CvmfsPublication.class).inNamespace(NS).withName("build-2").delete();
    MockCluster.await("the object to go", WAIT,
        () -> client.resources(CvmfsPublication.class).inNamespace(NS).withName("build-2").get() == null);
    assertEquals(404, get("/api/v1/repos/" + FQRN + "/paths/builds/2").statusCode());
  }

  @Test
  void aPublishIsAnOperationThatNoReconcilerThreadWaitsFor() throws Exception {
    create("held", "builds/held", heldUrl(), sha256(archive), "1h");
    CvmfsPublication running = awaitStatus("held", s -> s.phase() == Phase.Publishing && s.operation() != null);
    String operation = running.getStatus().operation();
    assertEquals("running", operationState(operation));

    // While that source downloads, another publication of the same repository goes all the way.
    create("quick", "builds/quick", url(), null, "1h");
    awaitPhase("quick", Phase.Published);
    assertEquals(Phase.Publishing, awaitStatus("held", s -> true).getStatus().phase());

    heldSource.countDown();
    CvmfsPublication published = awaitPhase("held", Phase.Published);
    assertNull(published.getStatus().operation(), "a settled publish keeps no operation");
    assertEquals(2L, published.getStatus().files());
    assertEquals(published.getStatus().revision(),
        JSON.readTree(get("/api/v1/repos/" + FQRN + "/paths/builds/held").body()).path("revision").asLong());
    assertEquals("succeeded", operationState(operation));
  }

  @Test
  void deletingAPublicationWhosePublishRunsWaitsForItThenRemovesThePath() throws Exception {
    create("held-delete", "builds/held-delete", heldUrl(), null, "1h");
    awaitStatus("held-delete", s -> s.operation() != null);
    client.resources(CvmfsPublication.class).inNamespace(NS).withName("held-delete").delete();
    Thread.sleep(500);
    assertNotNull(client.resources(CvmfsPublication.class).inNamespace(NS).withName("held-delete").get(),
        "the finalizer stays while the publish runs");

    heldSource.countDown();
    MockCluster.await("the object to go", WAIT,
        () -> client.resources(CvmfsPublication.class).inNamespace(NS).withName("held-delete").get() == null);
    assertEquals(404, get("/api/v1/repos/" + FQRN + "/paths/builds/held-delete").statusCode(),
        "the path the publish committed was removed after it");
  }

  @Test
  void aPublishCutByADataPlaneRestartIsStartedAgain() throws Exception {
    create("held-restart", "builds/held-restart", heldUrl(), null, "1h");
    String operation = awaitStatus("held-restart", s -> s.operation() != null).getStatus().operation();
    // The restart forgets the operation, and the cut publish never commits.
    dataPlane.close();
    heldSource.countDown();
    startDataPlane(temp.resolve("data"));

    CvmfsPublication published = awaitPhase("held-restart", Phase.Published);
    assertNotEquals(operation, published.getStatus().operation());
    assertEquals(200, get("/api/v1/repos/" + FQRN + "/paths/builds/held-restart").statusCode());
  }

  @Test
  void aPublicationNamesItsRevisionWithTheTagItAsksForAndReportsATakenName() throws Exception {
    createTagged("tagged", "builds/tagged", "release-7");
    CvmfsPublication tagged = awaitStatus("tagged", s -> s.conditions().stream()
        .anyMatch(c -> c.type().equals("Tagged") && c.status() == Condition.Status.True));
    JsonNode tags = JSON.readTree(get("/api/v1/repos/" + FQRN + "/tags").body()).path("tags");
    assertEquals("release-7", tags.get(0).path("name").asText(), tags.toString());
    assertTrue(tags.get(0).path("revision").asLong() >= tagged.getStatus().revision());
    assertTrue(events("tagged").contains("Tagged"));

    createTagged("same-tag", "builds/same-tag", "release-7");
    CvmfsPublication taken = awaitStatus("same-tag", s -> s.conditions().stream()
        .anyMatch(c -> c.type().equals("Tagged") && "TagTaken".equals(c.reason())));
    assertEquals(Phase.Published, taken.getStatus().phase(), "a taken tag does not fail the publication");
    assertEquals(1, warnings("same-tag", "TagTaken"));
    assertEquals(1, JSON.readTree(get("/api/v1/repos/" + FQRN + "/tags").body()).path("tags").size());
  }

  private void createTagged(String name, String path, String tag) {
    CvmfsPublication publication = new CvmfsPublication();
    publication.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(NS).build());
    publication.setSpec(new CvmfsPublicationSpec("artifacts", path, new PublicationSource(null, url(), null, null, null, null), null,
        "1h", null, tag));
    client.resource(publication).create();
  }

  @Test
  void aUrlSourceIsPublishedAgainWhenTheDataPlaneLostIt() throws Exception {
    create("build-3", "builds/3", url(), sha256(archive), "1h");
    CvmfsPublication first = awaitPhase("build-3", Phase.Published);
    // A restart on an empty volume: same keys, no content.
    dataPlane.close();
    startDataPlane(temp.resolve("empty"));
    CvmfsPublication again = awaitStatus("build-3", s -> s.phase() == Phase.Published
        && !s.revision().equals(first.getStatus().revision()));
    assertTrue(again.getStatus().revision() > first.getStatus().revision(), "revisions never go back");
    assertEquals(200, get("/api/v1/repos/" + FQRN + "/paths/builds/3").statusCode());
    assertTrue(events("build-3").contains("Republishing"));
    // Published for what was left of the lifetime, not a new one.
    assertFalse(java.time.Instant.parse(again.getStatus().expiresAt())
        .isAfter(java.time.Instant.parse(first.getStatus().expiresAt()).plusSeconds(2)));
  }

  @Test
  void aStagedUploadIsPublished() throws Exception {
    HttpResponse<String> staged = http.send(HttpRequest.newBuilder(dataPlaneUrl.get().resolve("/api/v1/repos/" + FQRN
        + "/uploads")).header("Authorization", "Bearer " + token).POST(HttpRequest.BodyPublishers.ofByteArray(archive))
        .build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(201, staged.statusCode(), staged.body());
    String id = JSON.readTree(staged.body()).get("id").asText();
    CvmfsPublication publication = new CvmfsPublication();
    publication.setMetadata(new ObjectMetaBuilder().withName("staged").withNamespace(NS).build());
    publication.setSpec(new CvmfsPublicationSpec("artifacts", "staged/x", new PublicationSource(id, null, null, null, null, null), null,
        null, null, null));
    client.resource(publication).create();
    assertEquals(2L, awaitPhase("staged", Phase.Published).getStatus().files());
  }

  @Test
  void theRepositoryTurnsReadyWithItsServedRevision() throws Exception {
    create("build-4", "builds/4", url(), null, "1h");
    long revision = awaitPhase("build-4", Phase.Published).getStatus().revision();
    // The mock API server runs no pods; report the data plane's Deployment as available.
    Deployment deployment = client.apps().deployments().inNamespace(NS).withName("artifacts-data-plane").get();
    deployment.setStatus(new DeploymentStatusBuilder().withAvailableReplicas(1).withReplicas(1).build());
    client.resource(deployment).updateStatus();
    MockCluster.await("Ready", WAIT, () -> {
      CvmfsRepository r = client.resources(CvmfsRepository.class).inNamespace(NS).withName("artifacts").get();
      return r.getStatus() != null && r.getStatus().conditions().stream()
          .anyMatch(c -> c.type().equals("Ready") && c.status() == Condition.Status.True);
    });
    CvmfsRepository ready = client.resources(CvmfsRepository.class).inNamespace(NS).withName("artifacts").get();
    assertTrue(ready.getStatus().revision() >= revision);
    JsonNode info = JSON.readTree(get("/api/v1/repos/" + FQRN).body());
    assertEquals(info.get("revision").asLong(), ready.getStatus().revision());
  }

  @Test
  void badInputGetsAClearConditionAndPublishesNothing() throws Exception {
    create("wrong-digest", "bad/digest", url(), "0".repeat(64), "1h");
    create("too-long", "bad/ttl", url(), null, "30d");
    create("escaping", "../etc", url(), null, "1h");
    create("broken-url", "bad/url", "http://127.0.0.1:" + sources.getAddress().getPort() + "/missing.tar.gz", null, "1h");
    CvmfsPublication orphan = new CvmfsPublication();
    orphan.setMetadata(new ObjectMetaBuilder().withName("orphan").withNamespace(NS).build());
    orphan.setSpec(new CvmfsPublicationSpec("nowhere", "x", new PublicationSource(null, url(), null, null, null, null), null, "1h", null,
        null));
    client.resource(orphan).create();

    assertFailed("wrong-digest", "InvalidSource", "sha256");
    assertFailed("too-long", "TtlTooLong", "1d");
    assertFailed("escaping", "InvalidSpec", "path");
    assertFailed("broken-url", "SourceUnavailable", "404");
    CvmfsPublication pending = awaitStatus("orphan", s -> s.phase() == Phase.Pending);
    assertEquals("RepositoryNotFound", pending.getStatus().conditions().get(0).reason());
    assertTrue(events("orphan").contains("RepositoryNotFound"));
    assertEquals(0, JSON.readTree(get("/api/v1/repos/" + FQRN + "/paths").body()).get("publications").size(),
        "nothing was published");
  }

  @Test
  void whileTheDataPlaneAnswers503APublicationWaitsWithoutRewritingItsStatus() throws Exception {
    // A data plane that answers 503 to everything; the publication's own requests are timed.
    List<Long> attempts = Collections.synchronizedList(new ArrayList<>());
    HttpServer broken = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    broken.createContext("/", exchange -> {
      if (exchange.getRequestURI().getPath().contains("/paths/")) {
        attempts.add(System.nanoTime());
      }
      byte[] body = "{\"error\":\"unavailable\",\"detail\":\"starting\"}".getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(503, body.length);
      exchange.getResponseBody().write(body);
      exchange.close();
    });
    broken.start();
    URI real = dataPlaneUrl.get();
    dataPlaneUrl.set(URI.create("http://127.0.0.1:" + broken.getAddress().getPort()));
    try {
      create("waits", "builds/waits", url(), null, "1h");
      MockCluster.await("two attempts", WAIT, () -> attempts.size() >= 2);
      CvmfsPublication first = client.resources(CvmfsPublication.class).inNamespace(NS).withName("waits").get();
      assertEquals(Phase.Pending, first.getStatus().phase());
      assertEquals("DataPlaneUnavailable", first.getStatus().conditions().get(0).reason());
      MockCluster.await("three attempts", WAIT, () -> attempts.size() >= 3);
      CvmfsPublication later = client.resources(CvmfsPublication.class).inNamespace(NS).withName("waits").get();
      assertEquals(Phase.Pending, later.getStatus().phase());
      assertEquals(first.getMetadata().getResourceVersion(), later.getMetadata().getResourceVersion(),
          "an unchanged wait writes nothing");
      assertEquals(first.getStatus(), later.getStatus());
      assertEquals(1, warnings("waits", "DataPlaneUnavailable"), "one event for the whole wait");
      // Backoff: the retry interval, then twice it. A busy machine only lengthens the gaps, so
      // the delays as scheduled are lower bounds.
      long retry = OperatorConfig.local().retryInterval().toNanos();
      long firstGap = attempts.get(1) - attempts.get(0);
      long secondGap = attempts.get(2) - attempts.get(1);
      assertTrue(firstGap >= retry * 9 / 10 && secondGap >= 2 * retry * 9 / 10,
          "gaps " + firstGap + " and " + secondGap + " ns after a retry interval of " + retry + " ns");
    } finally {
      dataPlaneUrl.set(real);
      broken.stop(0);
    }
    CvmfsPublication published = awaitPhase("waits", Phase.Published);
    assertEquals("Published", published.getStatus().conditions().get(0).reason());
  }

  @Test
  void aSourceThatAnswers503ForAWhileIsPublishedOnceItAnswers() throws Exception {
    AtomicInteger requests = new AtomicInteger();
    sources.createContext("/flaky.tar.gz", exchange -> {
      if (requests.incrementAndGet() <= 2) {
        exchange.sendResponseHeaders(503, -1);
      } else {
        exchange.sendResponseHeaders(200, archive.length);
        exchange.getResponseBody().write(archive);
      }
      exchange.close();
    });
    create("flaky", "builds/flaky", "http://127.0.0.1:" + sources.getAddress().getPort() + "/flaky.tar.gz",
        sha256(archive), "1h");
    CvmfsPublication waiting = awaitStatus("flaky", s -> s.conditions().stream()
        .anyMatch(c -> "SourceUnavailable".equals(c.reason())));
    assertNotEquals(Phase.Failed, waiting.getStatus().phase());
    assertTrue(waiting.getStatus().message().contains("503"), waiting.getStatus().message());
    // Failed would be final: reaching Published means the 503s were waited out.
    CvmfsPublication published = awaitPhase("flaky", Phase.Published);
    assertEquals(2L, published.getStatus().files());
    assertEquals(3, requests.get());
    assertEquals(1, warnings("flaky", "SourceUnavailable"));
  }

  @Test
  void deletingANeverPublishedPublicationDoesNotWaitForAnUnreachableDataPlane() throws Exception {
    URI real = dataPlaneAtAClosedPort();
    try {
      create("never", "builds/never", url(), null, "1h");
      CvmfsPublication pending = awaitStatus("never", s -> s.conditions().stream()
          .anyMatch(c -> "DataPlaneUnavailable".equals(c.reason())));
      assertEquals(Phase.Pending, pending.getStatus().phase());
      // Retries at 1 s and 3 s in: no trip to Publishing and back, which a deletion could catch.
      Thread.sleep(3500);
      CvmfsPublication still = client.resources(CvmfsPublication.class).inNamespace(NS).withName("never").get();
      assertEquals(pending.getMetadata().getResourceVersion(), still.getMetadata().getResourceVersion());
      assertEquals(Phase.Pending, still.getStatus().phase());
      client.resources(CvmfsPublication.class).inNamespace(NS).withName("never").delete();
      MockCluster.await("the object to go", Duration.ofSeconds(5),
          () -> client.resources(CvmfsPublication.class).inNamespace(NS).withName("never").get() == null);
    } finally {
      dataPlaneUrl.set(real);
    }
  }

  @Test
  void aPublicationWaitingForItsRepositoryGoesOnAsSoonAsTheRepositoryIsThere() throws Exception {
    URI real = dataPlaneAtAClosedPort();
    try {
      CvmfsPublication early = new CvmfsPublication();
      early.setMetadata(new ObjectMetaBuilder().withName("early").withNamespace(NS).build());
      early.setSpec(new CvmfsPublicationSpec("late", "x", new PublicationSource(null, url(), null, null, null, null), null, "1h", null,
          null));
      client.resource(early).create();
      awaitStatus("early", s -> s.conditions().stream().anyMatch(c -> "RepositoryNotFound".equals(c.reason())));
      CvmfsRepository late = new CvmfsRepository();
      late.setMetadata(new ObjectMetaBuilder().withName("late").withNamespace(NS).build());
      late.setSpec(CvmfsRepositorySpec.defaults().withFqrn("late.example.org"));
      client.resource(late).create();
      // The repository and then its token wake the publication: no poll would come for minutes.
      CvmfsPublication woken = awaitStatus("early", s -> s.conditions().stream()
          .anyMatch(c -> "DataPlaneUnavailable".equals(c.reason())));
      assertEquals(Phase.Pending, woken.getStatus().phase());
    } finally {
      dataPlaneUrl.set(real);
    }
  }

  @Test
  void deletingAPublishedPathWaitsForTheDataPlaneAndSaysSo() throws Exception {
    create("kept", "builds/kept", url(), null, "1h");
    awaitPhase("kept", Phase.Published);
    dataPlane.close();
    client.resources(CvmfsPublication.class).inNamespace(NS).withName("kept").delete();
    CvmfsPublication waiting = awaitStatus("kept", s -> s.conditions().stream()
        .anyMatch(c -> c.type().equals("PathRemoved") && c.status() == Condition.Status.False
            && c.reason().equals("DataPlaneUnavailable")));
    assertFalse(waiting.getMetadata().getFinalizers().isEmpty(), "the path is not left behind");
    // The same volume again: the removal goes through.
    startDataPlane(temp.resolve("data"));
    MockCluster.await("the object to go", WAIT,
        () -> client.resources(CvmfsPublication.class).inNamespace(NS).withName("kept").get() == null);
    assertEquals(404, get("/api/v1/repos/" + FQRN + "/paths/builds/kept").statusCode());
    assertEquals(1, warnings("kept", "DataPlaneUnavailable"));
  }

  /** Points the operator at a port nothing listens on; returns the data plane's real URL. */
  private URI dataPlaneAtAClosedPort() throws Exception {
    int closedPort;
    try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      closedPort = socket.getLocalPort();
    }
    return dataPlaneUrl.getAndSet(URI.create("http://127.0.0.1:" + closedPort));
  }

  private void assertFailed(String name, String reason, String messagePart) throws Exception {
    CvmfsPublication failed = awaitPhase(name, Phase.Failed);
    var condition = failed.getStatus().conditions().get(0);
    assertEquals(reason, condition.reason(), condition.message());
    assertTrue(failed.getStatus().message().toLowerCase().contains(messagePart.toLowerCase()), failed.getStatus().message());
    assertTrue(events(name).contains(reason));
  }

  private void create(String name, String path, String url, String sha256, String ttl) {
    CvmfsPublication publication = new CvmfsPublication();
    publication.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(NS).build());
    publication.setSpec(new CvmfsPublicationSpec("artifacts", path, new PublicationSource(null, url, sha256, null, null, null), null, ttl,
        null, null));
    client.resource(publication).create();
  }

  private CvmfsPublication awaitPhase(String name, Phase phase) throws InterruptedException {
    return awaitStatus(name, s -> s.phase() == phase);
  }

  private CvmfsPublication awaitStatus(String name, Predicate<CvmfsPublicationStatus> test) throws InterruptedException {
    MockCluster.await("the status of " + name, WAIT, () -> {
      CvmfsPublication p = client.resources(CvmfsPublication.class).inNamespace(NS).withName(name).get();
      return p != null && p.getStatus() != null && test.test(p.getStatus());
    });
    return client.resources(CvmfsPublication.class).inNamespace(NS).withName(name).get();
  }

  private java.util.Set<String> events(String name) {
    return client.v1().events().inNamespace(NS).list().getItems().stream()
        .filter(e -> e.getInvolvedObject().getName().equals(name))
        .map(io.fabric8.kubernetes.api.model.Event::getReason).collect(Collectors.toSet());
  }

  private long warnings(String name, String reason) {
    return client.v1().events().inNamespace(NS).list().getItems().stream()
        .filter(e -> e.getInvolvedObject().getName().equals(name) && "Warning".equals(e.getType())
            && reason.equals(e.getReason()))
        .mapToLong(e -> e.getCount() == null ? 1 : e.getCount()).sum();
  }

  private HttpResponse<String> get(String path) {
    try {
      return http.send(HttpRequest.newBuilder(dataPlaneUrl.get().resolve(path)).build(),
          HttpResponse.BodyHandlers.ofString());
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private String heldUrl() {
    return "http://127.0.0.1:" + sources.getAddress().getPort() + "/held.tar.gz";
  }

  private String operationState(String id) throws Exception {
    HttpResponse<String> answer = http.send(HttpRequest.newBuilder(dataPlaneUrl.get()
        .resolve("/api/v1/repos/" + FQRN + "/operations/" + id)).header("Authorization", "Bearer " + token).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, answer.statusCode(), answer.body());
    return JSON.readTree(answer.body()).path("state").asText();
  }

  private String url() {
    return "http://127.0.0.1:" + sources.getAddress().getPort() + "/out.tar.gz";
  }

  private static String sha256(byte[] bytes) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
  }

  private static byte[] tarGz() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (TarArchiveOutputStream tar = new TarArchiveOutputStream(new GZIPOutputStream(bytes))) {
      for (String[] file : new String[][] {{"bin/tool", "hello"}, {"README", "readme"}}) {
        byte[] content = file[1].getBytes(StandardCharsets.UTF_8);
        TarArchiveEntry entry = new TarArchiveEntry(file[0]);
        entry.setSize(content.length);
        tar.putArchiveEntry(entry);
        tar.write(content);
        tar.closeArchiveEntry();
      }
    }
    return bytes.toByteArray();
  }
}
