package io.ephemeral.cvmfs.dataplane.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.ephemeral.cvmfs.dataplane.publish.ObjectPipeline;
import io.ephemeral.cvmfs.dataplane.repository.Repository;
import io.ephemeral.cvmfs.dataplane.repository.RepositoryLockedException;
import io.ephemeral.cvmfs.dataplane.storage.StorageBackend;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A served repository opens and closes as a unit: whatever step fails, the repository opened
 * before it is closed again, which its lock shows.
 */
class ServedRepositoryTest {

  private static final String REPO = "served.example.org";

  // Shared: key generation is slow.
  @TempDir
  static Path keys;

  @TempDir
  Path data;

  private static ObjectPipeline pipeline;

  @BeforeAll
  static void generateKeys(@TempDir Path scratch) throws IOException {
    pipeline = ObjectPipeline.forThisMachine();
    ServedRepository.open(config(scratch, null), REPO, pipeline, StorageBackend.LOCAL).close();
  }

  @AfterAll
  static void closePipeline() {
    pipeline.close();
  }

  private static DataPlaneConfig config(Path data, Path tokenFile) {
    DataPlaneConfig local = DataPlaneConfig.local(data, List.of(REPO)).withKeysDirectory(keys);
    return new DataPlaneConfig(local.dataDirectory(), local.keysDirectory(), local.repositories(),
        local.creationOptions(), local.minRevision(), local.bindAddress(), local.port(), local.notificationPort(),
        local.publicUrl(), tokenFile, local.token(), local.policy(), local.housekeepingInterval(),
        local.legacyApiWithoutToken(), local.maintenance(), local.objectCacheBytes(), local.connections(),
        local.shutdownGrace(), local.storage());
  }

  @Test
  void holdsTheRepositoryUntilClosed() throws IOException {
    DataPlaneConfig config = config(data, null);
    try (ServedRepository served = ServedRepository.open(config, REPO, pipeline, StorageBackend.LOCAL)) {
      assertEquals(REPO, served.fqrn());
      assertEquals(served.repository(), served.publisher().repository());
      assertThrows(RepositoryLockedException.class, () -> Repository.at(config.layout(), REPO).open());
    }
    Repository.at(config.layout(), REPO).open().close();
  }

  @Test
  void aFailedLaterStepClosesTheRepositoryOpenedBefore() throws IOException {
    // The token is read last, after the repository and its publisher are open.
    DataPlaneConfig config = config(data, data.resolve("no-such-token"));
    assertThrows(NoSuchFileException.class, () -> ServedRepository.open(config, REPO, pipeline, StorageBackend.LOCAL));
    Repository.at(config.layout(), REPO).open().close();
  }
}
