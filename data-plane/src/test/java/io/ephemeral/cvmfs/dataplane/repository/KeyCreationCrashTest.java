package io.ephemeral.cvmfs.dataplane.repository;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The first start creates the keys in pairs (master key and its public key, repository key and
 * its certificate). A kill in the middle must not leave a pair the next start refuses.
 */
class KeyCreationCrashTest {

  private static final String FQRN = "keys.example.org";

  @TempDir
  Path temp;

  @Test
  void aPairCutOffBetweenItsTwoRenamesIsCompletedAtTheNextStart() throws Exception {
    DataLayout layout = new DataLayout(temp.resolve("data"));
    RepositoryKeys created = RepositoryKeys.loadOrCreate(layout, FQRN, Instant.now());
    // Where a kill between the renames leaves each pair: the first file in place, the second temporary.
    Files.move(layout.masterPublicKey(FQRN), temporary(layout.masterPublicKey(FQRN)), StandardCopyOption.ATOMIC_MOVE);
    Files.move(layout.certificate(FQRN), temporary(layout.certificate(FQRN)), StandardCopyOption.ATOMIC_MOVE);

    try (Repository repository = Repository.at(layout, FQRN).open()) {
      assertEquals(created.certificate(), repository.keys().certificate());
      assertEquals(created.masterPublicKey(), repository.keys().masterPublicKey());
    }
    assertFalse(Files.exists(temporary(layout.masterPublicKey(FQRN))));
    assertFalse(Files.exists(temporary(layout.certificate(FQRN))));
  }

  @Test
  void readOnlyTemporaryKeyFilesOfAKilledStartAreReplaced() throws Exception {
    DataLayout layout = new DataLayout(temp.resolve("data"));
    Files.createDirectories(layout.keys());
    Path token = layout.keys().resolve(FQRN + ".token");
    Path[] files = {layout.masterKey(FQRN), layout.masterPublicKey(FQRN), layout.repositoryKey(FQRN),
        layout.certificate(FQRN), token};
    for (Path file : files) {
      Path stale = Files.writeString(temporary(file), "half a key");
      Files.setPosixFilePermissions(stale, PosixFilePermissions.fromString("r--------"));
    }

    try (Repository repository = Repository.at(layout, FQRN).open()) {
      assertTrue(repository.keys().masterKey().isPresent());
    }
    PublishToken.readOrGenerate(token);
    assertEquals(64, Files.readString(token).strip().length());
    for (Path file : files) {
      assertFalse(Files.exists(temporary(file)), temporary(file) + " is left");
    }
  }

  private static Path temporary(Path file) {
    return file.resolveSibling(file.getFileName() + ".tmp");
  }
}
