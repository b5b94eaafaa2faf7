package io.ephemeral.cvmfs.operator.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ephemeral.cvmfs.dataplane.image.ImageSupport;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** The operator's image (profile images): its config as the tarball says, then run with podman. */
class OperatorImageIT {

  private static final Path TAR = Path.of(System.getProperty("image.tar", "target/jib-image.tar"));
  private static final String NAME = System.getProperty("image.name");
  private static final String JAR = System.getProperty("image.jar");
  private static final String VERSION = System.getProperty("project.version");

  private static String loaded;

  @Test
  void tarballDescribesTheImage() throws IOException {
    ImageSupport.Tarball image = ImageSupport.Tarball.read(TAR);
    assertEquals(List.of(NAME), image.repoTags());
    assertEquals(List.of("java", "-jar", "/opt/cvmfs-ephemeral/" + JAR), image.strings("Entrypoint"));
    assertEquals(List.of("run"), image.strings("Cmd"));
    assertEquals("65532:65532", image.container().path("User").asText());
    List<String> env = image.strings("Env");
    assertTrue(env.stream().anyMatch(e -> e.startsWith("PATH=") && e.contains("/usr/bin")),
        () -> "containerd adds no PATH of its own: " + env);
    assertEquals(List.of("8081/tcp"), image.exposedPorts());
    assertEquals("linux", image.config().path("os").asText());
    assertEquals(VERSION, image.container().path("Labels").path("org.opencontainers.image.version").asText());
    assertTrue(image.layers().stream().anyMatch(l -> l.contains("opt/cvmfs-ephemeral/" + JAR)), "no layer holds the jar");
    assertTrue(image.layers().stream().flatMap(List::stream).noneMatch(p -> p.startsWith("app/")), "a layer holds /app");
  }

  @Test
  void printsItsVersionAsItsUser() throws Exception {
    if (loaded == null) {
      loaded = ImageSupport.load(TAR, NAME);
    }
    List<String> args = new ArrayList<>(List.of("run", "--rm"));
    args.addAll(ImageSupport.runOptions());
    args.addAll(List.of(loaded, "--version"));
    assertEquals("cvmfs-ephemeral-operator " + VERSION, ImageSupport.podman(args).stdout().strip());

    args = new ArrayList<>(List.of("run", "--rm", "--entrypoint", "id"));
    args.addAll(ImageSupport.runOptions());
    args.add(loaded);
    String id = ImageSupport.podman(args).stdout().strip();
    assertTrue(id.startsWith("uid=65532") && id.contains(" gid=65532"), id);
  }

  @AfterAll
  static void removeImage() throws Exception {
    if (loaded != null) {
      ImageSupport.removeImage(NAME);
    }
  }
}
