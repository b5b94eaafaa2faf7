package io.ephemeral.cvmfs.dataplane.http;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.ephemeral.cvmfs.dataplane.testsupport.Fixtures;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse.BodyHandlers;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Serves the reference repository (test resource {@code reference-repo}), a real signed one, and
 * reads every file back.
 */
class ReferenceRepositoryTest {

  private static final String FQRN = Fixtures.REFERENCE_FQRN;

  @Test
  void servesEveryFileOfTheReferenceRepository() throws Exception {
    Path fixture = Fixtures.referenceRepo();
    Path root = fixture.resolve(FQRN);
    ServedRepositories repositories = new ServedRepositories() {
      @Override
      public Optional<Path> root(String fqrn) {
        return FQRN.equals(fqrn) ? Optional.of(root) : Optional.empty();
      }

      @Override
      public Optional<MetaFile> meta(String fqrn, String name) {
        try {
          Path key = fixture.resolve("keys").resolve(name);
          return FQRN.equals(fqrn) && Files.isRegularFile(key)
              ? Optional.of(new MetaFile(Files.readAllBytes(key), "application/x-pem-file"))
              : Optional.empty();
        } catch (IOException e) {
          return Optional.empty();
        }
      }
    };
    HttpServerConfig config = HttpServerConfig.defaults().withAddress("127.0.0.1", 0);
    List<Path> files;
    try (Stream<Path> walk = Files.walk(root)) {
      files = walk.filter(Files::isRegularFile).collect(Collectors.toList());
    }
    assertFalse(files.isEmpty());

    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    try (HttpServer server = HttpServer.builder(config).repositories(repositories).build()) {
      String base = "http://127.0.0.1:" + server.start();
      for (Path file : files) {
        String name = root.relativize(file).toString();
        HttpResponse<byte[]> response = client.send(
            HttpRequest.newBuilder(URI.create(base + "/cvmfs/" + FQRN + "/" + name))
                .timeout(Duration.ofSeconds(5)).build(),
            BodyHandlers.ofByteArray());
        assertEquals(200, response.statusCode(), name);
        assertArrayEquals(Files.readAllBytes(file), response.body(), name);
        assertEquals(name.startsWith("data/") ? "application/octet-stream" : "application/x-cvmfs",
            response.headers().firstValue("content-type").orElseThrow(), name);
      }
      for (String key : new String[] {FQRN + ".pub", FQRN + ".crt"}) {
        HttpResponse<byte[]> response = client.send(
            HttpRequest.newBuilder(URI.create(base + "/cvmfs-meta/" + key)).build(),
            BodyHandlers.ofByteArray());
        assertEquals(200, response.statusCode(), key);
        assertArrayEquals(Files.readAllBytes(fixture.resolve("keys").resolve(key)), response.body());
      }
    }
  }
}
