package io.ephemeral.cvmfs.dataplane.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ephemeral.cvmfs.common.format.HashAlgorithm;
import io.ephemeral.cvmfs.common.format.Pem;
import io.ephemeral.cvmfs.common.format.SignedDocument;
import io.ephemeral.cvmfs.dataplane.format.DirectoryEntry;
import io.ephemeral.cvmfs.dataplane.testsupport.FixtureServer;
import io.ephemeral.cvmfs.dataplane.testsupport.Fixtures;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RepositoryVerifierTest {

  private static PublicKey masterKey;

  @BeforeAll
  static void readMasterKey() throws IOException {
    masterKey = Pem.readPublicKey(Files.readString(Fixtures.referenceMasterKey()));
  }

  @Test
  void referenceRepositoryVerifiesInTheClientsOrder() throws IOException {
    try (FixtureServer server = FixtureServer.serve(Fixtures.referenceRepo())) {
      VerificationResult result = verifier(server.uri(Fixtures.REFERENCE_FQRN)).verify();

      assertEquals(1, result.revision());
      assertEquals(17, result.entries().size());
      assertEquals(2, result.catalogs());
      assertEquals(16, result.objects());
      DirectoryEntry nested = result.entries().stream().filter(e -> e.path().equals("/nested")).findFirst().orElseThrow();
      assertEquals(33, nested.flags(), "the mountpoint is listed as the nested catalog's root entry");

      String base = "/" + Fixtures.REFERENCE_FQRN;
      assertEquals(List.of(
          "GET " + base + "/.cvmfspublished 200",
          "GET " + base + "/data/2a/86dc665156a4d310ceef7d26eab27d16825fa8X 200",
          "GET " + base + "/.cvmfswhitelist 200",
          "GET " + base + "/data/8b/e049942f5d01cf662049b809c458b0a45ddf71C 200"),
          server.requests().subList(0, 4));
    }
  }

  @Test
  void changedManifestBodyFailsTheHashLine(@TempDir Path temp) throws IOException {
    Path tree = copy(temp);
    Path manifest = tree.resolve(".cvmfspublished");
    String original = new String(Files.readAllBytes(manifest), StandardCharsets.ISO_8859_1);
    Files.write(manifest, original.replace("\nD240\n", "\nD241\n").getBytes(StandardCharsets.ISO_8859_1));

    assertFault(temp, "manifest: the body does not hash to the hash line '03fd0c07f8fd961c640fbb0e6b345753aec37f8f'");
  }

  @Test
  void changedManifestWithMatchingHashLineFailsTheSignature(@TempDir Path temp) throws IOException {
    Path tree = copy(temp);
    Path manifest = tree.resolve(".cvmfspublished");
    SignedDocument document = SignedDocument.parse(Files.readAllBytes(manifest));
    byte[] body = document.bodyText().replace("\nD240\n", "\nD241\n").getBytes(StandardCharsets.US_ASCII);
    String hashLine = HashAlgorithm.SHA1.hash(body).toString();
    Files.write(manifest, new SignedDocument(body, hashLine, document.signature()).toBytes());

    assertFault(temp, "manifest: signature does not verify with the key of certificate "
        + "2a86dc665156a4d310ceef7d26eab27d16825fa8");
  }

  @Test
  void missingObjectNamesTheUrlAndStatus(@TempDir Path temp) throws IOException {
    Path tree = copy(temp);
    Files.delete(tree.resolve("data/ef/1754425239eaf353d859bff3b1774464fc0d4b"));

    try (FixtureServer server = FixtureServer.serve(temp)) {
      URI base = server.uri(Fixtures.REFERENCE_FQRN);
      VerificationException fault = assertThrows(VerificationException.class, () -> verifier(base).verify());
      assertEquals("/dir/note.txt: GET " + base + "/data/ef/1754425239eaf353d859bff3b1774464fc0d4b answered HTTP 404",
          fault.getMessage());
    }
  }

  @Test
  void missingManifestNamesTheUrlAndStatus(@TempDir Path temp) throws IOException {
    try (FixtureServer server = FixtureServer.serve(temp)) {
      URI base = server.uri(Fixtures.REFERENCE_FQRN);
      VerificationException fault = assertThrows(VerificationException.class, () -> verifier(base).verify());
      assertEquals("manifest: GET " + base + "/.cvmfspublished answered HTTP 404", fault.getMessage());
    }
  }

  @Test
  void servedUnderAnotherNameIsANameMismatch() throws IOException {
    try (FixtureServer server = FixtureServer.start().mount("/cvmfs/other.example.org", Fixtures.referenceTree())) {
      VerificationException fault = assertThrows(VerificationException.class,
          () -> verifier(server.uri("cvmfs/other.example.org")).verify());
      assertEquals("manifest: repository name mismatch (found reference.example.org, expected other.example.org)",
          fault.getMessage());
    }
  }

  @Test
  void corruptNestedCatalogIsNamed(@TempDir Path temp) throws IOException {
    Path tree = copy(temp);
    Path catalog = tree.resolve("data/80/e183f6d9ecfa44bc816d1cb5e8483458ce885bC");
    byte[] bytes = Files.readAllBytes(catalog);
    bytes[bytes.length / 2] ^= 0x40;
    Files.write(catalog, bytes);

    VerificationException fault = assertFault(temp, null);
    assertTrue(fault.getMessage().startsWith(
        "nested catalog 80e183f6d9ecfa44bc816d1cb5e8483458ce885bC for /nested: object 80e183f6d9ecfa44bc816d1cb5e8483458ce885bC ("),
        fault.getMessage());
    assertTrue(fault.getMessage().endsWith("not to the object's name"), fault.getMessage());
  }

  @Test
  void whitelistExpiresAtTheStartOfItsHour() throws IOException {
    // The fixture whitelist's E line is 20361122075447; clients ignore minutes and seconds.
    Instant expiry = Instant.parse("2036-11-22T07:00:00Z");
    try (FixtureServer server = FixtureServer.serve(Fixtures.referenceRepo())) {
      URI base = server.uri(Fixtures.REFERENCE_FQRN);
      RemoteRepository remote = new RemoteRepository(base);

      VerificationException fault = assertThrows(VerificationException.class,
          () -> new RepositoryVerifier(remote, List.of(masterKey), Clock.fixed(expiry, ZoneOffset.UTC)).verify());
      assertTrue(fault.getMessage().startsWith("whitelist: expired whitelist (clients stop accepting it at "
          + "2036-11-22T07:00:00Z"), fault.getMessage());

      Clock justBefore = Clock.fixed(expiry.minusSeconds(1), ZoneOffset.UTC);
      assertEquals(17, new RepositoryVerifier(remote, List.of(masterKey), justBefore).verify().entries().size());
    }
  }

  private static RepositoryVerifier verifier(URI base) {
    return new RepositoryVerifier(new RemoteRepository(base), List.of(masterKey));
  }

  private static Path copy(Path temp) throws IOException {
    return Fixtures.copyTree(Fixtures.referenceTree(), temp.resolve(Fixtures.REFERENCE_FQRN));
  }

  /** Serves {@code temp} (holding a tampered copy), expects a fault and, if given, its exact message. */
  private static VerificationException assertFault(Path temp, String expectedMessage) throws IOException {
    try (FixtureServer server = FixtureServer.serve(temp)) {
      VerificationException fault = assertThrows(VerificationException.class,
          () -> verifier(server.uri(Fixtures.REFERENCE_FQRN)).verify());
      if (expectedMessage != null) {
        assertEquals(expectedMessage, fault.getMessage());
      }
      return fault;
    }
  }
}
