package io.ephemeral.cvmfs.dataplane.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** The data plane's image (profile images): its config as the tarball says, then run with podman. */
class DataPlaneImageIT {

  private static final Path TAR = Path.of(System.getProperty("image.tar", "target/jib-image.tar"));
  private static final String NAME = System.getProperty("image.name");
  private static final String JAR = System.getProperty("image.jar");
  private static final String VERSION = System.getProperty("project.version");
  private static final String DATA = "/var/lib/cvmfs-ephemeral";

  private static String loaded;

  @Test
  void tarballDescribesTheImage() throws IOException {
    ImageSupport.Tarball image = ImageSupport.Tarball.read(TAR);
    assertEquals(List.of(NAME), image.repoTags());
    assertEquals(List.of("java", "-jar", "/opt/cvmfs-ephemeral/" + JAR), image.strings("Entrypoint"));
    assertEquals(List.of("serve"), image.strings("Cmd"));
    assertEquals("65532:65532", image.container().path("User").asText());
    assertEquals(DATA, image.container().path("WorkingDir").asText());
    List<String> env = image.strings("Env");
    assertTrue(env.contains("CVMFS_EPHEMERAL_DATA=" + DATA), env::toString);
    assertTrue(env.stream().anyMatch(e -> e.startsWith("PATH=") && e.contains("/usr/bin")),
        () -> "containerd adds no PATH of its own: " + env);
    assertEquals(List.of("4929/tcp", "8080/tcp"), image.exposedPorts().stream().sorted().toList());
    assertEquals("linux", image.config().path("os").asText());
    assertEquals(VERSION, image.container().path("Labels").path("org.opencontainers.image.version").asText());
    // The shaded jar is the application; Jib's own /app layers are filtered out.
    assertTrue(image.layers().stream().anyMatch(l -> l.contains("opt/cvmfs-ephemeral/" + JAR)), "no layer holds the jar");
    assertTrue(image.layers().stream().flatMap(List::stream).noneMatch(p -> p.startsWith("app/")), "a layer holds /app");
  }

  @Test
  void printsItsVersion() throws Exception {
    String image = load();
    List<String> args = new ArrayList<>(List.of("run", "--rm"));
    args.addAll(ImageSupport.runOptions());
    args.addAll(List.of(image, "--version"));
    assertEquals("cvmfs-ephemeral " + VERSION, ImageSupport.podman(args).stdout().strip());
  }

  @Test
  void servesTheDemoRepositoryFromAMountedDirectory() throws Exception {
    String image = load();
    Path data = Files.createTempDirectory("cvmfs-image-it");
    String container = "cvmfs-ephemeral-it-" + UUID.randomUUID().toString().substring(0, 8);
    try {
      owned(data);
      int port = freePort();
      int notificationPort = freePort();
      List<String> args = new ArrayList<>(List.of("run", "-d", "--name", container, "-v", data + ":" + DATA));
      args.addAll(ImageSupport.runOptions());
      args.addAll(List.of(image, "serve", "--bind", "127.0.0.1", "--port", String.valueOf(port),
          "--notification-port", String.valueOf(notificationPort)));
      ImageSupport.podman(args);

      URI published = URI.create("http://127.0.0.1:" + port + "/cvmfs/demo.example.org/.cvmfspublished");
      HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
      long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
      HttpResponse<byte[]> response = null;
      while (response == null) {
        try {
          response = http.send(HttpRequest.newBuilder(published).timeout(Duration.ofSeconds(5)).build(),
              HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException notYet) {
          String running = ImageSupport.podman(List.of("inspect", "--format", "{{.State.Running}}", container)).stdout().strip();
          if (!"true".equals(running) || System.nanoTime() > deadline) {
            fail("the data plane did not answer on " + published + " (running: " + running + "):\n"
                + ImageSupport.podmanMayFail(List.of("logs", container)).output());
          }
          Thread.sleep(500);
        }
      }
      System.out.println("GET " + published + " -> " + response.statusCode() + ", " + response.body().length + " bytes");
      if (response.statusCode() != 200) {
        fail("GET " + published + " answered " + response.statusCode() + ":\n"
            + ImageSupport.podmanMayFail(List.of("logs", container)).output());
      }
      // The manifest starts with the root catalog's hash line, C<hex>.
      assertEquals('C', (char) response.body()[0]);
      // What the container wrote is owned by its user.
      Path served = data.resolve("demo.example.org/.cvmfspublished");
      assertTrue(Files.exists(served), "no " + served + " on the host");
      assertEquals(65532, Files.getAttribute(served, "unix:uid"));
    } finally {
      ImageSupport.podmanMayFail(List.of("rm", "--force", "--time", "2", container));
      try (Stream<Path> paths = Files.walk(data)) {
        paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
      }
    }
  }

  @AfterAll
  static void removeImage() throws Exception {
    if (loaded != null) {
      ImageSupport.removeImage(NAME);
    }
  }

  private static String load() throws Exception {
    if (loaded == null) {
      loaded = ImageSupport.load(TAR, NAME);
    }
    return loaded;
  }

  /** The directory for the container's user 65532; a rootless podman maps it with unshare. */
  private static void owned(Path dir) throws Exception {
    try {
      Files.setAttribute(dir, "unix:uid", 65532);
      Files.setAttribute(dir, "unix:gid", 65532);
    } catch (IOException | SecurityException notRoot) {
      ImageSupport.podman(List.of("unshare", "chown", "65532:65532", dir.toString()));
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
