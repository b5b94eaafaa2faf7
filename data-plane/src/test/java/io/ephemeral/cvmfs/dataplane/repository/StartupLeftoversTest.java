package io.ephemeral.cvmfs.dataplane.repository;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.ephemeral.cvmfs.common.format.Pem;
import io.ephemeral.cvmfs.dataplane.publish.ObjectPipeline;
import io.ephemeral.cvmfs.dataplane.publish.Publisher;
import io.ephemeral.cvmfs.dataplane.publish.source.Sources;
import io.ephemeral.cvmfs.dataplane.testsupport.FixtureServer;
import io.ephemeral.cvmfs.dataplane.verify.RemoteRepository;
import io.ephemeral.cvmfs.dataplane.verify.RepositoryVerifier;
import io.ephemeral.cvmfs.dataplane.verify.VerificationResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A crash (kill -9) can leave anything in the scratch places: a half-spooled image archive under
 * {@code state/<fqrn>/tmp}, temporary objects in {@code data/txn}, partial uploads, {@code
 * .NAME.tmp} files. The next start removes all of it, follows no link, and never refuses.
 */
class StartupLeftoversTest {

  private static final String FQRN = "leftovers.example.org";
  // Each publication is a nested catalog.
  private static final List<String> BOTH_PUBLISHED = List.of("/first", "/first/.cvmfscatalog", "/first/one.txt",
      "/second", "/second/.cvmfscatalog", "/second/two.txt");

  @TempDir
  Path temp;

  private final ObjectPipeline pipeline = ObjectPipeline.forThisMachine();
  private boolean madeImmutable;
  private DataLayout layout;
  private Path outside;

  @BeforeEach
  void createRepository() throws IOException {
    layout = new DataLayout(temp.resolve("data"));
    // What links point to: outside every scratch folder, and it must survive.
    outside = Files.createDirectories(temp.resolve("outside"));
    Files.writeString(outside.resolve("keep.txt"), "keep");
    publish("first", "one.txt", "one");
  }

  @AfterEach
  void release() throws Exception {
    if (madeImmutable) {
      // Wherever they ended up, so that the temporary folder can be deleted.
      run("chattr", "-R", "-i", temp.toString());
    }
    pipeline.close();
  }

  @Test
  void startRemovesEveryKindOfLeftoverFromEveryScratchFolder() throws Exception {
    Path served = layout.served(FQRN);
    Path state = layout.state(FQRN);
    Path txn = served.resolve("data").resolve("txn");
    Files.createDirectories(layout.uploads(FQRN));
    Path finishedUpload = Files.writeString(layout.uploads(FQRN).resolve("0123456789abcdef0123456789abcdef"), "staged");

    plantEverything(layout.scratch(FQRN), "");
    plantEverything(txn, "");
    plantEverything(layout.uploads(FQRN), ".part");
    plantEverything(served, ".tmp", ".");
    plantEverything(state, ".tmp", ".");

    publish("second", "two.txt", "two");

    assertEquals(List.of(), entries(layout.scratch(FQRN)));
    assertEquals(List.of(), entries(txn));
    assertEquals(List.of(finishedUpload.getFileName().toString()), entries(layout.uploads(FQRN)));
    assertEquals(List.of(), entries(served).stream().filter(name -> name.endsWith(".tmp")).toList());
    assertEquals(List.of(), entries(state).stream().filter(name -> name.endsWith(".tmp")).toList());
    assertFalse(Files.exists(state.resolve("quarantine")), "everything here can be deleted");
    assertOutsideIntact();
    assertEquals(BOTH_PUBLISHED, verify());
  }

  @Test
  void aLinkStandingForAScratchFolderIsRemovedNotFollowed() throws Exception {
    Path txn = layout.served(FQRN).resolve("data").resolve("txn");
    Path linkedOut = Files.createDirectories(temp.resolve("linked-out"));
    Files.writeString(linkedOut.resolve("keep.txt"), "keep");
    Files.delete(txn);
    Files.createSymbolicLink(txn, linkedOut);
    deleteTree(layout.scratch(FQRN));
    Files.createSymbolicLink(layout.scratch(FQRN), linkedOut);

    publish("second", "two.txt", "two");

    assertTrue(Files.isDirectory(txn, LinkOption.NOFOLLOW_LINKS));
    assertTrue(Files.isDirectory(layout.scratch(FQRN), LinkOption.NOFOLLOW_LINKS));
    assertEquals(List.of("keep.txt"), entries(linkedOut));
    assertEquals(List.of(), entries(txn));
    assertEquals(BOTH_PUBLISHED, verify());
  }

  @Test
  void whatCannotBeDeletedIsMovedAsideOrLeftAndTheStartGoesOn() throws Exception {
    Path scratch = layout.scratch(FQRN);
    Path stuckInside = Files.writeString(Files.createDirectories(scratch.resolve("image-1/blobs")).resolve("member"), "x");
    Path stuck = Files.writeString(scratch.resolve("stuck"), "x");
    assumeTrue(makeImmutable(stuckInside) && makeImmutable(stuck), "chattr +i is not available here");

    publish("second", "two.txt", "two");

    // The directory holding an undeletable file went aside; the undeletable file itself stayed.
    assertEquals(List.of("stuck"), entries(scratch));
    List<String> quarantined = entries(layout.state(FQRN).resolve("quarantine"));
    assertEquals(1, quarantined.size());
    assertTrue(quarantined.get(0).endsWith("-image-1"), quarantined.toString());
    assertTrue(Files.exists(layout.state(FQRN).resolve("quarantine").resolve(quarantined.get(0)).resolve("blobs/member")));
    assertEquals(BOTH_PUBLISHED, verify());
  }

  /**
   * Leaves in {@code folder}, under names with {@code prefix} and {@code suffix}: nested
   * directories with files, a link to a file and one to a directory outside, a read-only file in a
   * read-only directory, a read-only empty directory, and a FIFO where mkfifo exists.
   */
  private void plantEverything(Path folder, String suffix, String... prefix) throws Exception {
    String p = prefix.length > 0 ? prefix[0] : "";
    Files.createDirectories(folder);
    Path nested = Files.createDirectories(folder.resolve(p + "image-123" + suffix).resolve("blobs/sha256/deep"));
    Files.writeString(nested.resolve("member-1.blob"), "half a layer");
    Files.writeString(nested.getParent().resolve("member-2.blob"), "more");
    Files.createSymbolicLink(folder.resolve(p + "file-link" + suffix), outside.resolve("keep.txt"));
    Files.createSymbolicLink(folder.resolve(p + "dir-link" + suffix), outside);
    Path readOnlyDir = Files.createDirectories(folder.resolve(p + "read-only" + suffix).resolve("inner"));
    Path readOnlyFile = Files.writeString(readOnlyDir.resolve("file"), "ro");
    Files.setPosixFilePermissions(readOnlyFile, PosixFilePermissions.fromString("r--r--r--"));
    Files.setPosixFilePermissions(readOnlyDir, PosixFilePermissions.fromString("r-x------"));
    Files.setPosixFilePermissions(readOnlyDir.getParent(), PosixFilePermissions.fromString("r-x------"));
    Path sealed = Files.createDirectories(folder.resolve(p + "sealed" + suffix));
    Files.setPosixFilePermissions(sealed, PosixFilePermissions.fromString("---------"));
    Path fifo = folder.resolve(p + "fifo" + suffix);
    if (run("mkfifo", fifo.toString())) {
      assertTrue(Files.exists(fifo, LinkOption.NOFOLLOW_LINKS));
    }
  }

  private void assertOutsideIntact() throws IOException {
    assertEquals(List.of("keep.txt"), entries(outside));
    assertEquals("keep", Files.readString(outside.resolve("keep.txt")));
  }

  /** Opens the repository (clearing leftovers), publishes a one-file tree at {@code path}, closes. */
  private void publish(String path, String name, String content) throws IOException {
    Path tree = Files.createDirectories(temp.resolve("trees").resolve(path));
    Files.writeString(tree.resolve(name), content);
    Repository repository = Repository.at(layout, FQRN).open();
    try (Publisher publisher = Publisher.start(repository, pipeline)) {
      publisher.publish(path, Sources.open(tree), null, false);
    }
  }

  /** Verifies the served repository end to end; returns its paths. */
  private List<String> verify() throws Exception {
    try (FixtureServer server = FixtureServer.serve(layout.dataDirectory())) {
      VerificationResult result = new RepositoryVerifier(new RemoteRepository(server.uri(FQRN)),
          List.of(Pem.readPublicKey(Files.readString(layout.masterPublicKey(FQRN))))).verify();
      return result.entries().stream().map(entry -> entry.path()).filter(path -> !path.isEmpty()).sorted()
          .collect(Collectors.toList());
    }
  }

  private static List<String> entries(Path directory) throws IOException {
    try (Stream<Path> list = Files.list(directory)) {
      return list.map(path -> path.getFileName().toString()).sorted().toList();
    }
  }

  private boolean makeImmutable(Path path) {
    madeImmutable = true;
    return run("chattr", "+i", path.toString());
  }

  private static boolean run(String... command) {
    try {
      return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
          .start().waitFor() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private static void deleteTree(Path root) throws IOException {
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path path : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(path);
      }
    }
  }
}
