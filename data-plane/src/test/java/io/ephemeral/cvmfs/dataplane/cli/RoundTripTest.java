package io.ephemeral.cvmfs.dataplane.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ephemeral.cvmfs.dataplane.format.DirectoryEntry;
import io.ephemeral.cvmfs.dataplane.http.HttpServer;
import io.ephemeral.cvmfs.dataplane.http.HttpServerConfig;
import io.ephemeral.cvmfs.dataplane.repository.DataLayout;
import io.ephemeral.cvmfs.dataplane.repository.Repository;
import io.ephemeral.cvmfs.dataplane.server.LocalRepositories;
import io.ephemeral.cvmfs.dataplane.testsupport.CliRunner;
import io.ephemeral.cvmfs.dataplane.testsupport.IndependentTools;
import io.ephemeral.cvmfs.dataplane.verify.RemoteRepository;
import io.ephemeral.cvmfs.dataplane.verify.RepositoryReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Publishes a tree with every kind of entry, serves it with our own server, verifies it end to
 * end, reads every file back byte for byte, and has openssl and sqlite3 check the result.
 */
class RoundTripTest {

  private static final String FQRN = "roundtrip.example.org";

  @TempDir
  Path temp;

  @ParameterizedTest
  @CsvSource({"sha1,zlib", "rmd160,zlib", "shake128,none"})
  void everyKindOfEntrySurvivesTheRoundTrip(String hash, String compression) throws Exception {
    Path tree = Files.createDirectories(temp.resolve("tree"));
    Random random = new Random(7);
    Map<String, byte[]> files = Map.of(
        "hello.txt", "hello, world\n".getBytes(),
        "empty.txt", new byte[0],
        "bin/run.sh", "#!/bin/sh\necho run\n".getBytes(),
        "data/deep/er/blob.bin", bytes(random, 200_000),
        "data/chunked.bin", bytes(random, 3_000_000));
    for (var file : files.entrySet()) {
      Path target = tree.resolve(file.getKey());
      Files.createDirectories(target.getParent());
      Files.write(target, file.getValue());
      Files.setLastModifiedTime(target, FileTime.fromMillis(1_700_000_000_000L));
    }
    Files.setPosixFilePermissions(tree.resolve("bin/run.sh"), PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.createDirectories(tree.resolve("empty-dir"));
    Files.createSymbolicLink(tree.resolve("relative-link"), Path.of("hello.txt"));
    Files.createSymbolicLink(tree.resolve("absolute-link"), Path.of("/etc/hostname"));
    Files.createLink(tree.resolve("data/hard-link.txt"), tree.resolve("hello.txt"));

    Path data = temp.resolve("data");
    CliRunner.Result published = CliRunner.run("publish", "--data", data.toString(), "--repository", FQRN,
        "--hash", hash, "--compression", compression, "--chunk-min", "256KiB", "--chunk-avg", "512KiB",
        "--chunk-max", "1MiB", "--path", "pipelines/42", tree.toString());
    assertEquals(0, published.exitCode(), published.stderr());

    try (Repository repository = Repository.at(new DataLayout(data), FQRN).open();
        HttpServer server = HttpServer.builder(HttpServerConfig.defaults().withAddress("127.0.0.1", 0))
            .repositories(new LocalRepositories(Map.of(FQRN, repository), () -> "http://127.0.0.1"))
            .build()) {
      int port = server.start();
      String url = "http://127.0.0.1:" + port + "/cvmfs/" + FQRN;
      Path key = data.resolve("keys").resolve(FQRN + ".pub");

      CliRunner.Result verified = CliRunner.run("verify", url, "--key", key.toString(), "--list");
      assertEquals(0, verified.exitCode(), verified.stderr());
      List<String> lines = verified.stdoutLines();
      assertTrue(lines.contains("f 0755 19 /pipelines/42/bin/run.sh " + objectOf(lines, "/pipelines/42/bin/run.sh")), lines.toString());
      assertTrue(lines.contains("l 0777 9 /pipelines/42/relative-link -> hello.txt"), lines.toString());
      assertTrue(lines.contains("l 0777 13 /pipelines/42/absolute-link -> /etc/hostname"), lines.toString());
      assertTrue(lines.contains("d 0755 4096 /pipelines/42/empty-dir"), lines.toString());
      assertTrue(lines.contains("f 0644 3000000 /pipelines/42/data/chunked.bin chunked"), lines.toString());
      assertTrue(lines.stream().anyMatch(l -> l.startsWith("  chunk 0 ") && l.endsWith("P")), lines.toString());

      try (RepositoryReader reader = RepositoryReader.open(new RemoteRepository(URI.create(url)))) {
        for (var file : files.entrySet()) {
          assertArrayEquals(file.getValue(), reader.readAllBytes("/pipelines/42/" + file.getKey()), file.getKey());
        }
        assertArrayEquals(files.get("hello.txt"), reader.readAllBytes("/pipelines/42/data/hard-link.txt"));
        DirectoryEntry hello = reader.lookup("/pipelines/42/hello.txt").orElseThrow();
        assertEquals(1_700_000_000L, hello.mtime());
      }
      IndependentTools.forUrl(URI.create(url), key).checkAll();

      HttpClient http = HttpClient.newHttpClient();
      String meta = "http://127.0.0.1:" + port + "/cvmfs-meta/" + FQRN;
      assertEquals(Files.readString(key), http.send(HttpRequest.newBuilder(URI.create(meta + ".pub")).build(),
          HttpResponse.BodyHandlers.ofString()).body());
      assertEquals(Files.readString(data.resolve("keys").resolve(FQRN + ".crt")), http.send(
          HttpRequest.newBuilder(URI.create(meta + ".crt")).build(), HttpResponse.BodyHandlers.ofString()).body());
      String conf = http.send(HttpRequest.newBuilder(URI.create(meta + ".conf")).build(), HttpResponse.BodyHandlers.ofString()).body();
      assertTrue(conf.contains("CVMFS_SERVER_URL=\"http://127.0.0.1/cvmfs/@fqrn@\"\n") && conf.contains("CVMFS_HTTP_PROXY=DIRECT\n")
          && conf.contains("CVMFS_NOTIFICATION_SERVER=http://127.0.0.1/api/v1\n"), conf);
    }
  }

  private static String objectOf(List<String> lines, String path) {
    return lines.stream().filter(l -> l.contains(" " + path + " ")).findFirst().map(l -> l.substring(l.lastIndexOf(' ') + 1))
        .orElse("?");
  }

  private static byte[] bytes(Random random, int size) {
    byte[] data = new byte[size];
    random.nextBytes(data);
    return data;
  }
}
