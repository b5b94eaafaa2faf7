package io.ephemeral.cvmfs.dataplane.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ephemeral.cvmfs.dataplane.testsupport.CliRunner;
import io.ephemeral.cvmfs.dataplane.testsupport.FixtureServer;
import io.ephemeral.cvmfs.dataplane.testsupport.Fixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VerifyCommandTest {

  /**
   * Every entry of the fixture README, in depth-first name order. The README gives full object
   * names for hello.txt, the empty file and the chunks, and 8-character prefixes for the other
   * small files (checked against the full names in {@link #fullNamesExtendTheReadmePrefixes}).
   */
  static final List<String> REFERENCE_LISTING = List.of(
      "d 0755 4096 /",
      "d 0755 4096 /big",
      "f 0644 20971520 /big/chunked-20MiB.bin chunked",
      "  chunk 0 7340031 ad7255239e43a69194ad6eb867c2b41519b11f9dP",
      "  chunk 7340031 7340032 30ee654874476a2fc768f71445230bda52d070eaP",
      "  chunk 14680063 6291457 d9f463510a4088b6a2a791fbf7ee57d39a6fda31P",
      "f 0644 20971520 /big/maxcut-20MiB.bin chunked",
      "  chunk 0 16777216 6e6617563f2d4b929a2eac20aa8d9979dcf47d35P",
      "  chunk 16777216 4194304 4494d26df1525960a5fd8c26039ac5ed0efffcf1P",
      "d 0755 4096 /bin",
      "f 0755 21 /bin/hello.sh 3c36c11eb530276c138c804e43e9bcfd3c1a0e59",
      "d 0755 4096 /dir",
      "f 0644 35 /dir/note.txt ef1754425239eaf353d859bff3b1774464fc0d4b",
      "f 0644 0 /empty.txt e8ec3d88b62ebf526e4e5a4ff6162a3aa48a6b78",
      "d 0755 4096 /emptydir",
      "l 0777 9 /hello-link -> hello.txt",
      "f 0644 18 /hello.txt 058dca2f4afaa08a135dc62af2ed255947a89634",
      "d 0755 4096 /nested",
      "f 0644 0 /nested/.cvmfscatalog e8ec3d88b62ebf526e4e5a4ff6162a3aa48a6b78",
      "d 0755 4096 /nested/deeper",
      "f 0644 5 /nested/deeper/leaf.txt a5be8313ea2ea1b0a7e95cfe0b4509b4ec5f382f",
      "f 0644 47 /nested/inside.txt 30580f14a5dc3e9b49b847e1ba372624c767666d");

  private static FixtureServer server;

  @BeforeAll
  static void serveFixture() throws IOException {
    server = FixtureServer.serve(Fixtures.referenceRepo());
  }

  @AfterAll
  static void stopServer() {
    server.close();
  }

  @Test
  void listsEveryEntryOfTheReferenceRepository() {
    String url = server.uri(Fixtures.REFERENCE_FQRN).toString();
    CliRunner.Result result = CliRunner.run("verify", url, "--key", Fixtures.referenceMasterKey().toString(), "--list");

    assertEquals(0, result.exitCode(), result.stderr());
    List<String> lines = result.stdoutLines();
    assertEquals(REFERENCE_LISTING, lines.subList(0, lines.size() - 1));
    assertEquals("verified reference.example.org revision 1: 17 entries in 2 catalogs, 16 objects checked",
        lines.get(lines.size() - 1));
    assertEquals("", result.stderr());
  }

  @Test
  void printsOnlyTheSummaryWithoutList() {
    String url = server.uri(Fixtures.REFERENCE_FQRN).toString();
    CliRunner.Result result = CliRunner.run("verify", url, "--key", Fixtures.referenceMasterKey().toString());

    assertEquals(0, result.exitCode(), result.stderr());
    assertEquals(List.of("verified reference.example.org revision 1: 17 entries in 2 catalogs, 16 objects checked"),
        result.stdoutLines());
  }

  @Test
  void fullNamesExtendTheReadmePrefixes() {
    List<String> readmePrefixes = List.of("058dca2f", "e8ec3d88", "ef175442", "3c36c11e", "30580f14", "a5be8313");
    List<String> listed = REFERENCE_LISTING.stream()
        .filter(line -> line.startsWith("f ") && !line.endsWith(" chunked"))
        .map(line -> line.substring(line.lastIndexOf(' ') + 1))
        .toList();
    for (String prefix : readmePrefixes) {
      assertTrue(listed.stream().anyMatch(name -> name.startsWith(prefix)), prefix);
    }
  }

  @Test
  void wrongMasterKeyFailsOnTheWhitelistSignature() throws IOException {
    String url = server.uri(Fixtures.REFERENCE_FQRN).toString();

    CliRunner.Result result = CliRunner.run("verify", url, "--key", Fixtures.foreignMasterKey().toString());

    assertEquals(1, result.exitCode());
    assertEquals("", result.stdout());
    assertEquals("error: whitelist: invalid whitelist signature (it does not verify with the master public key)",
        result.stderr().strip());
  }

  @Test
  void flippedByteInAFileObjectNamesTheObject(@TempDir Path temp) throws IOException {
    Path tree = Fixtures.copyTree(Fixtures.referenceTree(), temp.resolve(Fixtures.REFERENCE_FQRN));
    Path object = tree.resolve("data/05/8dca2f4afaa08a135dc62af2ed255947a89634");
    byte[] bytes = Files.readAllBytes(object);
    bytes[10] ^= 0x01;
    Files.write(object, bytes);

    try (FixtureServer tampered = FixtureServer.serve(temp)) {
      CliRunner.Result result = CliRunner.run("verify", tampered.uri(Fixtures.REFERENCE_FQRN).toString(), "--key",
          Fixtures.referenceMasterKey().toString(), "--list");

      assertEquals(1, result.exitCode());
      String error = result.stderr().strip();
      assertTrue(error.startsWith("error: /hello.txt: object 058dca2f4afaa08a135dc62af2ed255947a89634 ("), error);
      assertTrue(error.endsWith("not to the object's name"), error);
    }
  }

  @Test
  void unreadableKeyFileIsReported(@TempDir Path temp) {
    String url = server.uri(Fixtures.REFERENCE_FQRN).toString();
    CliRunner.Result result = CliRunner.run("verify", url, "--key", temp.resolve("absent.pub").toString());

    assertEquals(1, result.exitCode());
    assertTrue(result.stderr().startsWith("error: cannot read master public key "), result.stderr());
  }
}
