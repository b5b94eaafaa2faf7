package io.ephemeral.cvmfs.dataplane.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ephemeral.cvmfs.dataplane.repository.Repository;
import io.ephemeral.cvmfs.dataplane.server.DataPlane;
import io.ephemeral.cvmfs.dataplane.server.DataPlaneConfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A publish that runs out of disk is answered 507 and leaves the repository as it was. */
class FullDiskTest {

  private static final String REPO = "full.example.org";

  @TempDir
  Path temp;

  private Path mount;

  @BeforeEach
  void mountSmallFileSystem() throws Exception {
    mount = Files.createDirectories(temp.resolve("small"));
    Process process = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", mount.toString())
        .redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes());
    Assumptions.assumeTrue(process.waitFor() == 0, "a small file system needs mount (root): " + output);
  }

  @AfterEach
  void unmount() throws Exception {
    new ProcessBuilder("umount", "-l", mount.toString()).start().waitFor();
  }

  @Test
  void runningOutOfSpaceIs507AndChangesNothing() throws Exception {
    Path data = mount.resolve("data");
    try (DataPlane dataPlane = DataPlane.start(DataPlaneConfig.local(data, List.of(REPO)))) {
      String token = Files.readString(data.resolve("keys").resolve(REPO + ".token")).strip();
      byte[] before = Files.readAllBytes(data.resolve(REPO).resolve(Repository.MANIFEST));
      byte[] body = new byte[32 << 20];
      new Random(3).nextBytes(body);
      HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
              URI.create("http://127.0.0.1:" + dataPlane.port() + "/api/v1/repos/" + REPO + "/paths/too-big?format=file"))
          .header("Authorization", "Bearer " + token)
          .PUT(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(507, response.statusCode(), response.body());
      assertTrue(response.body().contains("insufficient_storage"), response.body());
      assertArrayEquals(before, Files.readAllBytes(data.resolve(REPO).resolve(Repository.MANIFEST)));
      try (Stream<Path> txn = Files.walk(data.resolve(REPO).resolve("data/txn"))) {
        assertEquals(0, txn.filter(Files::isRegularFile).count());
      }
    }
  }
}
