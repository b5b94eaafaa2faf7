package io.ephemeral.cvmfs.dataplane.testsupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The reference fixture is the module's own test resource, complete and copied unaltered. */
class FixturesTest {

  @Test
  void referenceRepositoryIsATestResourceOfThisModule() {
    Path repo = Fixtures.referenceRepo();
    Path module = Path.of("").toAbsolutePath().normalize();
    assertTrue(repo.toAbsolutePath().normalize().startsWith(module), repo + " is outside " + module);
    for (String name : List.of(".cvmfspublished", ".cvmfswhitelist", ".cvmfsreflog", ".cvmfs_master_replica")) {
      assertTrue(Files.isRegularFile(Fixtures.referenceTree().resolve(name)), name);
    }
    assertTrue(Files.isRegularFile(Fixtures.referenceMasterKey()));
  }

  @Test
  void everyObjectStillHashesToItsName() throws Exception {
    List<Path> objects;
    try (Stream<Path> walk = Files.walk(Fixtures.referenceTree().resolve("data"))) {
      objects = walk.filter(Files::isRegularFile).collect(Collectors.toList());
    }
    assertEquals(17, objects.size());
    for (Path object : objects) {
      String name = object.getParent().getFileName().toString() + object.getFileName();
      byte[] digest = MessageDigest.getInstance("SHA-1").digest(Files.readAllBytes(object));
      assertEquals(name.substring(0, 40), HexFormat.of().formatHex(digest), object.toString());
    }
  }
}
