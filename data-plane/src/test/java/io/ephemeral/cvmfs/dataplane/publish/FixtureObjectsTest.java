package io.ephemeral.cvmfs.dataplane.publish;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.ephemeral.cvmfs.common.format.ObjectKind;
import io.ephemeral.cvmfs.dataplane.format.Chunk;
import io.ephemeral.cvmfs.dataplane.repository.RepositoryOptions;
import io.ephemeral.cvmfs.dataplane.storage.LocalObjectStore;
import io.ephemeral.cvmfs.dataplane.testsupport.Fixtures;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Our writer, fed the reference fixture's content, must produce the fixture's objects: the same
 * compressed bytes for small files and the same chunk boundaries and chunk objects for the two
 * 20 MiB files, with the default settings of cvmfs_server.
 */
class FixtureObjectsTest {

  private static ObjectPipeline pipeline;

  @TempDir
  Path repository;

  @BeforeAll
  static void startPipeline() {
    pipeline = new ObjectPipeline(2, 64 << 20);
  }

  @AfterAll
  static void stopPipeline() {
    pipeline.close();
  }

  private FileContent ingest(byte[] data, String name) throws Exception {
    LocalObjectStore store = new LocalObjectStore(repository).initialize();
    ContentIngester ingester = new ContentIngester(store, RepositoryOptions.DEFAULT, pipeline);
    return ingester.ingest(new ByteArrayInputStream(data), data.length, name).get();
  }

  @Test
  void smallFilesGiveTheFixtureObjects() throws Exception {
    Set<String> names = new TreeSet<>();
    for (var file : FixtureContent.smallFiles().entrySet()) {
      FileContent content = ingest(file.getValue(), file.getKey());
      names.add(content.hash().toString());
      assertEquals(List.of(), content.chunks());
    }
    assertEquals(new TreeSet<>(List.of("058dca2f4afaa08a135dc62af2ed255947a89634", "e8ec3d88b62ebf526e4e5a4ff6162a3aa48a6b78",
        "ef1754425239eaf353d859bff3b1774464fc0d4b", "3c36c11eb530276c138c804e43e9bcfd3c1a0e59",
        "30580f14a5dc3e9b49b847e1ba372624c767666d", "a5be8313ea2ea1b0a7e95cfe0b4509b4ec5f382f")), names);
    assertEquals(ingest("Hello, CernVM-FS!\n".getBytes(), "hello").hash().toString(), "058dca2f4afaa08a135dc62af2ed255947a89634");
  }

  @Test
  void chunkedFileIsCutAtTheMarkerWindows() throws Exception {
    FileContent content = ingest(FixtureContent.bigFile("big/chunked-20MiB.bin", true), "chunked");
    assertNull(content.hash());
    assertEquals(List.of(
        new Chunk(0, 7340031, hash("ad7255239e43a69194ad6eb867c2b41519b11f9d")),
        new Chunk(7340031, 7340032, hash("30ee654874476a2fc768f71445230bda52d070ea")),
        new Chunk(14680063, 6291457, hash("d9f463510a4088b6a2a791fbf7ee57d39a6fda31"))), content.chunks());
    for (Chunk chunk : content.chunks()) {
      Path stored = repository.resolve(chunk.hash().objectPath(ObjectKind.CHUNK));
      byte[] fixture = Files.readAllBytes(Fixtures.referenceTree().resolve(chunk.hash().objectPath(ObjectKind.CHUNK)));
      assertEquals(fixture.length, Files.size(stored));
    }
  }

  @Test
  void fileWithoutMarkersIsCutAtTheMaximum() throws Exception {
    FileContent content = ingest(FixtureContent.bigFile("big/maxcut-20MiB.bin", false), "maxcut");
    assertEquals(List.of(
        new Chunk(0, 16777216, hash("6e6617563f2d4b929a2eac20aa8d9979dcf47d35")),
        new Chunk(16777216, 4194304, hash("4494d26df1525960a5fd8c26039ac5ed0efffcf1"))), content.chunks());
  }

  private static io.ephemeral.cvmfs.common.format.ContentHash hash(String hex) {
    return io.ephemeral.cvmfs.common.format.ContentHash.parse(hex);
  }
}
