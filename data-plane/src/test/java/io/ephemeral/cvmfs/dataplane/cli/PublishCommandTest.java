package io.ephemeral.cvmfs.dataplane.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ephemeral.cvmfs.common.format.SignedDocument;
import io.ephemeral.cvmfs.dataplane.format.Manifest;
import io.ephemeral.cvmfs.dataplane.repository.DataLayout;
import io.ephemeral.cvmfs.dataplane.repository.Repository;
import io.ephemeral.cvmfs.dataplane.testsupport.CliRunner.Result;
import io.ephemeral.cvmfs.dataplane.testsupport.CliRunner;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The publish command: bad input is refused with a clear message and leaves the repository as it was. */
class PublishCommandTest {

  private static final String FQRN = "test.example.org";

  @TempDir
  Path temp;

  @TempDir
  static Path sharedKeys;

  private Path data;
  private Path manifest;

  // Key generation dominates a first publish; every test starts from one set of keys.
  @org.junit.jupiter.api.BeforeAll
  static void generateKeysOnce() throws IOException {
    Repository.at(new DataLayout(sharedKeys), FQRN).open().close();
  }

  @BeforeEach
  void publishFirstRevision() throws IOException {
    data = temp.resolve("data");
    Files.createDirectories(data.resolve("keys"));
    try (Stream<Path> keys = Files.list(sharedKeys.resolve("keys"))) {
      for (Path key : (Iterable<Path>) keys::iterator) {
        Files.copy(key, data.resolve("keys").resolve(key.getFileName()));
      }
    }
    Path tree = Files.createDirectories(temp.resolve("tree"));
    Files.writeString(tree.resolve("a.txt"), "a\n");
    assertEquals(0, run("publish", "--data", data.toString(), "--repository", FQRN, "--path", "first", tree.toString()).exitCode());
    manifest = data.resolve(FQRN).resolve(Repository.MANIFEST);
  }

  @Test
  void fifoInSourceIsRefused() throws Exception {
    Path tree = Files.createDirectories(temp.resolve("fifo-tree"));
    Process mkfifo = new ProcessBuilder("mkfifo", tree.resolve("pipe").toString()).start();
    assertEquals(0, mkfifo.waitFor());
    assertRefused(tree.toString(), "pipe");
  }

  @Test
  void missingSourceIsRefused() throws Exception {
    assertRefused(temp.resolve("nothing-here").toString(), "does not exist");
  }

  @Test
  void corruptArchiveIsRefused() throws Exception {
    Path archive = temp.resolve("broken.tar.gz");
    Files.write(archive, new byte[] {0x1f, (byte) 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3, 4, 5});
    assertRefused(archive.toString(), "");
  }

  @Test
  void invalidRepositoryNameIsRefused() throws Exception {
    byte[] before = Files.readAllBytes(manifest);
    CliRunner.Result result = run("publish", "--data", data.toString(), "--repository", "Not_A_Name", "--path", "x",
        temp.resolve("tree").toString());
    assertEquals(1, result.exitCode());
    assertTrue(result.stderr().contains("invalid repository name"), result.stderr());
    assertArrayEquals(before, Files.readAllBytes(manifest));
  }

  @Test
  void invalidPathIsRefused() throws Exception {
    byte[] before = Files.readAllBytes(manifest);
    CliRunner.Result result = run("publish", "--data", data.toString(), "--repository", FQRN, "--path", "a/../b",
        temp.resolve("tree").toString());
    assertEquals(1, result.exitCode());
    assertTrue(result.stderr().contains("invalid path"), result.stderr());
    assertArrayEquals(before, Files.readAllBytes(manifest));
  }

  @Test
  void secondPublishOfThePathConflictsUnlessOverwriting() throws Exception {
    byte[] before = Files.readAllBytes(manifest);
    CliRunner.Result again = run("publish", "--data", data.toString(), "--repository", FQRN, "--path", "first", temp.resolve("tree").toString());
    assertEquals(1, again.exitCode());
    assertTrue(again.stderr().contains("already published"), again.stderr());
    assertArrayEquals(before, Files.readAllBytes(manifest));
    CliRunner.Result inside = run("publish", "--data", data.toString(), "--repository", FQRN, "--path", "first/inner", temp.resolve("tree").toString());
    assertTrue(inside.stderr().contains("overlaps"), inside.stderr());
    assertEquals(0, run("publish", "--data", data.toString(), "--repository", FQRN, "--path", "first", "--overwrite",
        temp.resolve("tree").toString()).exitCode());
    assertEquals(revision(before) + 1, revision(Files.readAllBytes(manifest)));
  }

  @Test
  void secondWriterIsRefusedWhileTheRepositoryIsOpen() throws Exception {
    try (Repository open = Repository.at(new DataLayout(data), FQRN).open()) {
      CliRunner.Result result = run("publish", "--data", data.toString(), "--repository", FQRN, "--path", "other",
          temp.resolve("tree").toString());
      assertEquals(1, result.exitCode());
      assertTrue(result.stderr().contains("in use by another process"), result.stderr());
    }
  }

  @Test
  void emptiedDataDirectoryWithKeptKeysStartsAboveEveryEarlierRevision() throws Exception {
    long first = revision(Files.readAllBytes(manifest));
    deleteRecursively(data.resolve(FQRN));
    deleteRecursively(data.resolve("state"));
    assertEquals(0, run("publish", "--data", data.toString(), "--repository", FQRN, "--path", "again",
        temp.resolve("tree").toString()).exitCode());
    long restarted = revision(Files.readAllBytes(manifest));
    assertTrue(restarted > first && restarted >= System.currentTimeMillis() - 60_000, "revision " + restarted);
    assertEquals(0, run("publish", "--data", data.toString(), "--repository", FQRN, "--path", "more",
        "--min-revision", Long.toString(restarted + 1000), temp.resolve("tree").toString()).exitCode());
    assertEquals(restarted + 1000, revision(Files.readAllBytes(manifest)));
  }

  @Test
  void aDirectoryTooDeepIsRefusedAsAnArchiveWouldBe() throws Exception {
    Path tree = Files.createDirectories(temp.resolve("deep-tree"));
    Files.createDirectories(tree.resolve("d/".repeat(300)));
    assertRefused(tree.toString(), "is deeper than the limit of 256 levels");
  }

  @Test
  void aDirectoryWithAPathPastPathMaxIsRefusedAsAnArchiveWouldBe() throws Exception {
    // 3,900 bytes of directories, then a name of 250 moved in whole: its absolute path cannot be made.
    Path tree = Files.createDirectories(temp.resolve("long-tree"));
    Path dir = tree;
    for (int i = 0; i < 15; i++) {
      dir = dir.resolve("n".repeat(250));
    }
    dir = Files.createDirectories(dir.resolve("f".repeat(3900 - 15 * 251)));
    Path holder = Files.createDirectories(temp.resolve("x"));
    Files.writeString(holder.resolve("n".repeat(250)), "x");
    Files.move(holder, dir.resolve("x"));
    try {
      assertRefused(tree.toString(), "longer than the limit of 4096 bytes (PATH_MAX)");
    } finally {
      Files.move(dir.resolve("x"), holder);
    }
  }

  private void assertRefused(String source, String messagePart) throws IOException {
    byte[] before = Files.readAllBytes(manifest);
    CliRunner.Result result = run("publish", "--data", data.toString(), "--repository", FQRN, "--path", "second", source);
    assertEquals(1, result.exitCode(), result.stderr());
    assertTrue(result.stderr().startsWith("error: ") && result.stderr().contains(messagePart), result.stderr());
    assertArrayEquals(before, Files.readAllBytes(manifest));
    try (Stream<Path> leftovers = Files.walk(data.resolve(FQRN).resolve("data/txn"))) {
      assertEquals(0, leftovers.filter(Files::isRegularFile).count());
    }
  }

  private static long revision(byte[] manifestBytes) {
    return Manifest.parse(SignedDocument.parse(manifestBytes)).revision();
  }

  private static void deleteRecursively(Path root) throws IOException {
    try (Stream<Path> paths = Files.walk(root)) {
      paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  private static CliRunner.Result run(String... args) {
    return CliRunner.run(args);
  }
}
