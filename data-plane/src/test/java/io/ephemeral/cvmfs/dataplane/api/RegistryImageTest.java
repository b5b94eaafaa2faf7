package io.ephemeral.cvmfs.dataplane.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ephemeral.cvmfs.dataplane.server.DataPlane;
import io.ephemeral.cvmfs.dataplane.server.DataPlaneConfig;
import io.ephemeral.cvmfs.dataplane.testsupport.LocalRegistry;
import io.ephemeral.cvmfs.dataplane.testsupport.RepositoryApi;
import io.ephemeral.cvmfs.dataplane.testsupport.Tars;
import io.ephemeral.cvmfs.dataplane.verify.RemoteRepository;
import io.ephemeral.cvmfs.dataplane.verify.RepositoryReader;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Images pulled from a real registry ({@code docker-registry}, see {@link LocalRegistry}) and
 * published over the API: flattened, a platform chosen from an index, private images with and
 * without credentials, unknown tags, lying digests and bad references; failures commit nothing.
 */
class RegistryImageTest {

  private static final String REPO = "registry.example.org";
  private static final String USER = "puller";
  private static final String PASSWORD = "s3cret-pass";

  @TempDir
  static Path registries;
  private static LocalRegistry open;
  private static LocalRegistry closed;
  private static LocalRegistry.Blob single;

  @TempDir
  Path data;

  private DataPlane dataPlane;
  private RepositoryApi api;

  @BeforeAll
  static void startRegistries() throws Exception {
    LocalRegistry.assumeAvailable();
    open = LocalRegistry.start(Files.createDirectories(registries.resolve("open")));
    closed = LocalRegistry.start(Files.createDirectories(registries.resolve("closed")), USER, PASSWORD);
    single = open.pushImage("team/app", "1.0", "linux", "amd64", layers());
    closed.pushImage("team/private", "v1", "linux", "amd64", layers());
  }

  /** Two layers: the upper one replaces a file and whites out another. */
  private static List<byte[]> layers() throws IOException {
    byte[] lower = Tars.tar().dir("etc", 0700).file("etc/hosts", "old").file("etc/passwd", "root")
        .file("usr/bin/tool", "#!/bin/sh\n".getBytes(StandardCharsets.UTF_8), 0755).bytes();
    byte[] upper = Tars.tar().file("etc/hosts", "new").file("etc/.wh.passwd", "").bytes();
    return List.of(Tars.gzip(lower), Tars.gzip(upper));
  }

  @AfterAll
  static void stopRegistries() {
    for (LocalRegistry registry : new LocalRegistry[] {open, closed}) {
      if (registry != null) {
        registry.close();
      }
    }
  }

  @BeforeEach
  void start() throws IOException {
    dataPlane = DataPlane.start(DataPlaneConfig.local(data, List.of(REPO)));
    api = new RepositoryApi(() -> dataPlane, data, REPO);
  }

  @AfterEach
  void stop() {
    dataPlane.close();
  }

  @Test
  void publishesTheFlattenedImageOfATag() throws Exception {
    HttpResponse<String> response = publish("images/app", body(open.host() + "/team/app:1.0"));
    assertEquals(201, response.statusCode(), response.body());
    try (RepositoryReader reader = reader()) {
      assertEquals("new", new String(reader.readAllBytes("/images/app/etc/hosts"), StandardCharsets.UTF_8));
      assertFalse(reader.lookup("/images/app/etc/passwd").isPresent());
      assertEquals(0700, reader.lookup("/images/app/etc").orElseThrow().mode() & 07777);
      assertEquals(0755, reader.lookup("/images/app/usr/bin/tool").orElseThrow().mode() & 07777);
    }
    JsonNode publication = json(api.send("GET", "/paths/images/app", null));
    assertTrue(publication.path("source").isMissingNode() || publication.path("source").isNull(), publication::toString);
    assertScratchEmpty();

    // By digest, the tag only informative; and answered early when asked.
    HttpResponse<String> byDigest = api.send(HttpRequest.newBuilder(api.uri("/api/v1/repos/" + REPO + "/paths/images/pinned"))
        .header("Prefer", "respond-async")
        .POST(HttpRequest.BodyPublishers.ofString(body(open.host() + "/team/app:whatever@" + single.digest()).toString())));
    assertEquals(202, byDigest.statusCode(), byDigest.body());
    String operation = byDigest.headers().firstValue("Location").orElseThrow();
    JsonNode state = awaitOperation(operation);
    assertEquals("succeeded", state.path("state").asText(), state::toString);
    try (RepositoryReader reader = reader()) {
      assertEquals("new", new String(reader.readAllBytes("/images/pinned/etc/hosts"), StandardCharsets.UTF_8));
    }
  }

  @Test
  void choosesThePlatformOfAnIndex() throws Exception {
    LocalRegistry.Blob amd64 = open.pushImage("team/multi", null, "linux", "amd64",
        List.of(Tars.gzip(Tars.tar().file("arch", "amd64").bytes())));
    LocalRegistry.Blob arm64 = open.pushImage("team/multi", null, "linux", "arm64",
        List.of(Tars.gzip(Tars.tar().file("arch", "arm64").bytes())));
    String index = "{\"schemaVersion\":2,\"mediaType\":\"" + LocalRegistry.OCI_INDEX + "\",\"manifests\":["
        + LocalRegistry.platformDescriptor(arm64, "linux", "arm64") + ","
        + LocalRegistry.platformDescriptor(amd64, "linux", "amd64") + "]}";
    open.pushManifest("team/multi", "2.0", LocalRegistry.OCI_INDEX, index);

    assertEquals(201, publish("multi/default", body(open.host() + "/team/multi:2.0")).statusCode());
    ObjectNode arm = body(open.host() + "/team/multi:2.0").put("platform", "linux/arm64");
    assertEquals(201, publish("multi/arm", arm).statusCode());
    try (RepositoryReader reader = reader()) {
      assertEquals("amd64", new String(reader.readAllBytes("/multi/default/arch"), StandardCharsets.UTF_8));
      assertEquals("arm64", new String(reader.readAllBytes("/multi/arm/arch"), StandardCharsets.UTF_8));
    }
    HttpResponse<String> missing = publish("multi/s390x", body(open.host() + "/team/multi:2.0")
        .put("platform", "linux/s390x"));
    assertEquals(422, missing.statusCode(), missing.body());
    assertTrue(json(missing).path("detail").asText().contains("no variant for linux/s390x"), missing::body);
    assertScratchEmpty();
  }

  @Test
  void readsDockerManifestListsAndSchema2Manifests() throws Exception {
    byte[] layer = Tars.gzip(Tars.tar().file("which", "docker").bytes());
    LocalRegistry.Blob config = open.pushBlob("team/docker", "application/vnd.docker.container.image.v1+json",
        "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}"
            .getBytes(StandardCharsets.UTF_8));
    LocalRegistry.Blob layerBlob = open.pushBlob("team/docker", "application/vnd.docker.image.rootfs.diff.tar.gzip", layer);
    String manifest = "{\"schemaVersion\":2,\"mediaType\":\"" + LocalRegistry.DOCKER_MANIFEST + "\",\"config\":"
        + config.descriptor() + ",\"layers\":[" + layerBlob.descriptor() + "]}";
    LocalRegistry.Blob pushed = open.pushManifest("team/docker", "schema2", LocalRegistry.DOCKER_MANIFEST, manifest);
    String list = "{\"schemaVersion\":2,\"mediaType\":\"" + LocalRegistry.DOCKER_MANIFEST_LIST + "\",\"manifests\":["
        + LocalRegistry.platformDescriptor(pushed, "linux", "amd64") + "]}";
    open.pushManifest("team/docker", "list", LocalRegistry.DOCKER_MANIFEST_LIST, list);

    assertEquals(201, publish("docker/schema2", body(open.host() + "/team/docker:schema2")).statusCode());
    HttpResponse<String> fromList = publish("docker/list", body(open.host() + "/team/docker:list"));
    assertEquals(201, fromList.statusCode(), fromList.body());
    try (RepositoryReader reader = reader()) {
      assertEquals("docker", new String(reader.readAllBytes("/docker/schema2/which"), StandardCharsets.UTF_8));
      assertEquals("docker", new String(reader.readAllBytes("/docker/list/which"), StandardCharsets.UTF_8));
    }
  }

  @Test
  void aPrivateImageNeedsTheRightCredentials() throws Exception {
    String image = closed.host() + "/team/private:v1";
    long revision = revision();
    HttpResponse<String> anonymous = publish("private/app", body(image));
    assertEquals(422, anonymous.statusCode(), anonymous.body());
    assertEquals("source_unavailable", json(anonymous).path("error").asText());
    assertTrue(json(anonymous).path("detail").asText().contains("registry refused credentials"), anonymous::body);

    ObjectNode wrong = body(image);
    wrong.putObject("credentials").put("username", USER).put("password", "wrong");
    HttpResponse<String> refused = publish("private/app", wrong);
    assertEquals(422, refused.statusCode(), refused.body());
    assertTrue(json(refused).path("detail").asText().contains("registry refused credentials"), refused::body);
    assertEquals(revision, revision());

    ObjectNode right = body(image);
    right.putObject("credentials").put("username", USER).put("password", PASSWORD);
    HttpResponse<String> published = publish("private/app", right);
    assertEquals(201, published.statusCode(), published.body());
    try (RepositoryReader reader = reader()) {
      assertEquals("new", new String(reader.readAllBytes("/private/app/etc/hosts"), StandardCharsets.UTF_8));
    }
    assertScratchEmpty();
  }

  @Test
  void anUnknownTagIsUnavailable() throws Exception {
    long revision = revision();
    HttpResponse<String> response = publish("images/none", body(open.host() + "/team/app:no-such-tag"));
    assertEquals(422, response.statusCode(), response.body());
    assertEquals("source_unavailable", json(response).path("error").asText());
    assertTrue(json(response).path("detail").asText().contains("has no image"), response::body);
    HttpResponse<String> repository = publish("images/none", body(open.host() + "/team/nothing-here:1"));
    assertEquals(422, repository.statusCode(), repository.body());
    assertEquals(revision, revision());
    assertScratchEmpty();
  }

  @Test
  void aLayerThatDoesNotMatchItsDigestCommitsNothing() throws Exception {
    byte[] layer = Tars.gzip(Tars.tar().file("data", "genuine").bytes());
    LocalRegistry.Blob manifest = open.pushImage("team/spoiled", "1", "linux", "amd64", List.of(layer));
    Path stored = open.blobData("sha256:" + LocalRegistry.sha256(layer));
    byte[] spoiled = layer.clone();
    spoiled[spoiled.length / 2] ^= 0x55;
    Files.write(stored, spoiled);
    long revision = revision();

    HttpResponse<String> response = publish("images/spoiled", body(open.host() + "/team/spoiled:1"));
    assertEquals(400, response.statusCode(), response.body());
    assertEquals("invalid_content", json(response).path("error").asText());
    assertTrue(json(response).path("detail").asText().contains("does not match its digest"), response::body);
    // A manifest digest that is not the manifest's is refused as well.
    String lying = manifest.digest().substring(0, manifest.digest().length() - 4) + "0000";
    HttpResponse<String> byDigest = publish("images/spoiled", body(open.host() + "/team/spoiled@" + lying));
    assertTrue(byDigest.statusCode() == 422 || byDigest.statusCode() == 400, byDigest.body());
    assertEquals(revision, revision());
    assertTrue(json(api.send("GET", "/paths", null)).path("publications").isEmpty());
    assertScratchEmpty();
  }

  @Test
  void aMalformedReferenceIsAnInvalidParameter() throws Exception {
    for (String image : List.of("", "Upper/Case:1", open.host() + "/app:bad tag", open.host() + "/app@sha256:12",
        "http://app")) {
      HttpResponse<String> response = publish("images/bad", body(image));
      assertEquals(400, response.statusCode(), image + ": " + response.body());
      assertEquals("invalid_parameter", json(response).path("error").asText(), response::body);
    }
    HttpResponse<String> platform = publish("images/bad", body(open.host() + "/team/app:1.0").put("platform", "amd64"));
    assertEquals(400, platform.statusCode(), platform.body());
    HttpResponse<String> both = publish("images/bad", body(open.host() + "/team/app:1.0").put("url", "http://x/y.tar"));
    assertEquals(400, both.statusCode(), both.body());
  }

  private static ObjectNode body(String image) {
    return JsonResponses.JSON.createObjectNode().put("image", image).put("ttl", "1h");
  }

  private HttpResponse<String> publish(String path, ObjectNode body) throws Exception {
    return api.send("POST", "/paths/" + path, body.toString());
  }

  private JsonNode awaitOperation(String location) throws Exception {
    for (int i = 0; i < 600; i++) {
      JsonNode state = json(api.send(HttpRequest.newBuilder(api.uri(location)).GET()));
      if (!state.path("state").asText().equals("running")) {
        return state;
      }
      Thread.sleep(50);
    }
    throw new AssertionError("operation " + location + " still running");
  }

  private void assertScratchEmpty() throws IOException {
    Path scratch = data.resolve("state").resolve(REPO).resolve("tmp");
    if (Files.isDirectory(scratch)) {
      try (Stream<Path> left = Files.list(scratch)) {
        assertEquals(List.of(), left.toList());
      }
    }
  }

  private long revision() throws Exception {
    return json(api.send("GET", "", null)).path("revision").asLong();
  }

  private RepositoryReader reader() throws IOException {
    return RepositoryReader.open(new RemoteRepository(api.served()));
  }

  private static JsonNode json(HttpResponse<String> response) throws IOException {
    return RepositoryApi.json(response);
  }
}
