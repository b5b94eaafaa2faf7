package io.ephemeral.cvmfs.dataplane.testsupport;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.bouncycastle.crypto.generators.OpenBSDBCrypt;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * A real registry (Debian's {@code docker-registry}, the CNCF distribution) on a free loopback
 * port, storing into a directory of its own, optionally behind htpasswd basic authentication;
 * images are pushed into it over its HTTP API. Without the binary the test is skipped, or fails
 * when {@code CVMFS_REQUIRE_REGISTRY=true}.
 */
public final class LocalRegistry implements AutoCloseable {

  public static final String BINARY = "/usr/bin/docker-registry";
  public static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
  public static final String OCI_INDEX = "application/vnd.oci.image.index.v1+json";
  public static final String DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
  public static final String DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json";
  public static final String OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip";

  /** A blob as a descriptor names it. */
  public record Blob(String mediaType, String digest, long size) {
    public String descriptor() {
      return "{\"mediaType\":\"" + mediaType + "\",\"digest\":\"" + digest + "\",\"size\":" + size + "}";
    }
  }

  private final Process process;
  private final Path root;
  private final int port;
  private final String authorization;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private LocalRegistry(Process process, Path root, int port, String authorization) {
    this.process = process;
    this.root = root;
    this.port = port;
    this.authorization = authorization;
  }

  /** Skips the calling test (or fails it, when CVMFS_REQUIRE_REGISTRY=true) without the binary. */
  public static void assumeAvailable() {
    if (Files.isExecutable(Path.of(BINARY))) {
      return;
    }
    String message = BINARY + " is missing: install Debian's docker-registry package to run the registry tests";
    if ("true".equalsIgnoreCase(System.getenv("CVMFS_REQUIRE_REGISTRY"))) {
      Assertions.fail(message + " (CVMFS_REQUIRE_REGISTRY=true)");
    }
    Assumptions.abort(message);
  }

  /** An open registry storing below {@code dir}. */
  public static LocalRegistry start(Path dir) throws IOException, InterruptedException {
    return start(dir, null, null);
  }

  /** A registry that wants {@code username} and {@code password} (htpasswd, bcrypt) for every request; null for none. */
  public static LocalRegistry start(Path dir, String username, String password) throws IOException, InterruptedException {
    assumeAvailable();
    Path root = Files.createDirectories(dir.resolve("storage"));
    int port;
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = socket.getLocalPort();
    }
    StringBuilder config = new StringBuilder()
        .append("version: 0.1\n")
        .append("log:\n  level: warn\n")
        .append("storage:\n  filesystem:\n    rootdirectory: ").append(root).append('\n')
        .append("  delete:\n    enabled: true\n")
        .append("http:\n  addr: 127.0.0.1:").append(port).append('\n');
    String authorization = null;
    if (username != null) {
      byte[] salt = new byte[16];
      new SecureRandom().nextBytes(salt);
      Path htpasswd = dir.resolve("htpasswd");
      Files.writeString(htpasswd, username + ":" + OpenBSDBCrypt.generate("2y", password.toCharArray(), salt, 6) + "\n");
      config.append("auth:\n  htpasswd:\n    realm: test-registry\n    path: ").append(htpasswd).append('\n');
      authorization = basic(username, password);
    }
    Path file = dir.resolve("config.yml");
    Files.writeString(file, config);
    Process process = new ProcessBuilder(BINARY, "serve", file.toString())
        .redirectErrorStream(true)
        .redirectOutput(dir.resolve("registry.log").toFile())
        .start();
    LocalRegistry registry = new LocalRegistry(process, root, port, authorization);
    try {
      registry.awaitReady(dir.resolve("registry.log"));
    } catch (IOException | InterruptedException | RuntimeException | Error e) {
      registry.close();
      throw e;
    }
    return registry;
  }

  public static String basic(String username, String password) {
    return "Basic " + Base64.getEncoder().encodeToString((username + ":" + password).getBytes(StandardCharsets.UTF_8));
  }

  private void awaitReady(Path log) throws IOException, InterruptedException {
    Instant deadline = Instant.now().plusSeconds(30);
    while (Instant.now().isBefore(deadline)) {
      if (!process.isAlive()) {
        throw new IOException("docker-registry exited with " + process.exitValue() + ": " + Files.readString(log));
      }
      try {
        int status = http.send(HttpRequest.newBuilder(api("")).timeout(Duration.ofSeconds(2)).GET().build(),
            HttpResponse.BodyHandlers.discarding()).statusCode();
        if (status == 200 || status == 401) {
          return;
        }
      } catch (IOException e) {
        // Not listening yet.
      }
      Thread.sleep(50);
    }
    throw new IOException("docker-registry did not answer /v2/ within 30 s: " + Files.readString(log));
  }

  /** {@code 127.0.0.1:PORT}, as image references name the registry. */
  public String host() {
    return "127.0.0.1:" + port;
  }

  /** Where the registry keeps its blobs (filesystem driver layout), to spoil one. */
  public Path blobData(String digest) {
    String hex = digest.substring("sha256:".length());
    return root.resolve("docker/registry/v2/blobs/sha256/" + hex.substring(0, 2) + "/" + hex + "/data");
  }

  /** Uploads a blob in one piece (POST, then PUT with the digest). */
  public Blob pushBlob(String name, String mediaType, byte[] content) throws IOException, InterruptedException {
    String digest = "sha256:" + sha256(content);
    HttpResponse<String> started = send(HttpRequest.newBuilder(api(name + "/blobs/uploads/"))
        .POST(HttpRequest.BodyPublishers.noBody()));
    expect(202, started, "starting the upload of " + digest);
    String location = started.headers().firstValue("Location").orElseThrow();
    URI target = api("").resolve(location);
    String separator = target.getRawQuery() == null ? "?" : "&";
    HttpResponse<String> done = send(HttpRequest.newBuilder(URI.create(target + separator + "digest=" + digest))
        .header("Content-Type", "application/octet-stream").PUT(HttpRequest.BodyPublishers.ofByteArray(content)));
    expect(201, done, "uploading " + digest);
    return new Blob(mediaType, digest, content.length);
  }

  /** Puts a manifest or index under {@code reference} (a tag or its digest); returns its digest. */
  public Blob pushManifest(String name, String reference, String mediaType, String json)
      throws IOException, InterruptedException {
    byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
    HttpResponse<String> response = send(HttpRequest.newBuilder(api(name + "/manifests/" + reference))
        .header("Content-Type", mediaType).PUT(HttpRequest.BodyPublishers.ofByteArray(bytes)));
    expect(201, response, "putting manifest " + name + ":" + reference);
    return new Blob(mediaType, "sha256:" + sha256(bytes), bytes.length);
  }

  /**
   * Pushes an image of gzipped layer tars (lowest first) for a platform, as an OCI manifest
   * tagged {@code tag} (or untagged, by digest, when {@code tag} is null); returns the manifest.
   */
  public Blob pushImage(String name, String tag, String os, String architecture, List<byte[]> gzippedLayers)
      throws IOException, InterruptedException {
    String configJson = "{\"architecture\":\"" + architecture + "\",\"os\":\"" + os
        + "\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]},\"config\":{}}";
    Blob config = pushBlob(name, "application/vnd.oci.image.config.v1+json", configJson.getBytes(StandardCharsets.UTF_8));
    List<String> layers = new ArrayList<>();
    for (byte[] layer : gzippedLayers) {
      layers.add(pushBlob(name, OCI_LAYER_GZIP, layer).descriptor());
    }
    String manifest = manifest(config, layers);
    String digest = "sha256:" + sha256(manifest.getBytes(StandardCharsets.UTF_8));
    return pushManifest(name, tag == null ? digest : tag, OCI_MANIFEST, manifest);
  }

  /** An OCI image manifest with a config and layer descriptors. */
  public static String manifest(Blob config, List<String> layerDescriptors) {
    return "{\"schemaVersion\":2,\"mediaType\":\"" + OCI_MANIFEST + "\",\"config\":" + config.descriptor()
        + ",\"layers\":[" + String.join(",", layerDescriptors) + "]}";
  }

  /** An OCI index entry for a manifest of a platform. */
  public static String platformDescriptor(Blob manifest, String os, String architecture) {
    String descriptor = manifest.descriptor();
    return descriptor.substring(0, descriptor.length() - 1) + ",\"platform\":{\"os\":\"" + os
        + "\",\"architecture\":\"" + architecture + "\"}}";
  }

  private HttpResponse<String> send(HttpRequest.Builder request) throws IOException, InterruptedException {
    if (authorization != null) {
      request.header("Authorization", authorization);
    }
    return http.send(request.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private static void expect(int status, HttpResponse<String> response, String what) throws IOException {
    if (response.statusCode() != status) {
      throw new IOException(what + ": HTTP " + response.statusCode() + " " + response.body());
    }
  }

  private URI api(String path) {
    return URI.create("http://" + host() + "/v2/" + path);
  }

  public static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
  }
}
