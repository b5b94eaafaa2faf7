package io.ephemeral.cvmfs.dataplane.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ephemeral.cvmfs.common.format.Pem;
import io.ephemeral.cvmfs.dataplane.testsupport.Fixtures;
import io.ephemeral.cvmfs.dataplane.testsupport.NotifyingRepository;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A manifest received out of band, checked against the served certificate and whitelist. */
class ManifestVerifierTest {

  private static final String FQRN = "verified.example.org";

  @TempDir
  static Path data;

  private static NotifyingRepository repository;
  private static RemoteRepository remote;

  @BeforeAll
  static void start() throws Exception {
    repository = NotifyingRepository.open(data, FQRN);
    remote = new RemoteRepository(URI.create("http://127.0.0.1:" + repository.port() + "/cvmfs/" + FQRN));
  }

  @AfterAll
  static void stop() throws Exception {
    repository.close();
  }

  @Test
  void acceptsTheServedManifest() throws Exception {
    assertEquals(repository.hub().revision(FQRN).orElseThrow(),
        verifier(key(repository.masterPublicKey())).verify(repository.servedManifest()).revision());
  }

  @Test
  void refusesWhatTheClientWouldRefuse() throws Exception {
    ManifestVerifier verifier = verifier(key(repository.masterPublicKey()));
    byte[] tampered = repository.servedManifest();
    tampered[tampered.length - 1] ^= 1;
    assertTrue(assertThrows(VerificationException.class, () -> verifier.verify(tampered)).getMessage()
        .contains("signature does not verify"));
    assertTrue(assertThrows(VerificationException.class,
        () -> verifier(key(Fixtures.foreignMasterKey())).verify(repository.servedManifest())).getMessage()
        .contains("invalid whitelist signature"));
    ManifestVerifier later = new ManifestVerifier(remote, List.of(key(repository.masterPublicKey())),
        Clock.offset(Clock.systemUTC(), Duration.ofDays(365)));
    assertTrue(assertThrows(VerificationException.class, () -> later.verify(repository.servedManifest())).getMessage()
        .contains("expired"));
  }

  private static ManifestVerifier verifier(PublicKey masterKey) {
    return new ManifestVerifier(remote, List.of(masterKey), Clock.systemUTC());
  }

  private static PublicKey key(Path file) throws Exception {
    return Pem.readPublicKey(Files.readString(file));
  }
}
