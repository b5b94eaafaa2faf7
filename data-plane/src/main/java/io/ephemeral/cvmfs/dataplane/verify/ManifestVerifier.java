package io.ephemeral.cvmfs.dataplane.verify;

import io.ephemeral.cvmfs.common.format.ContentHash;
import io.ephemeral.cvmfs.common.format.ObjectKind;
import io.ephemeral.cvmfs.common.format.Pem;
import io.ephemeral.cvmfs.common.format.Signatures;
import io.ephemeral.cvmfs.common.format.SignedDocument;
import io.ephemeral.cvmfs.common.format.Whitelist;
import io.ephemeral.cvmfs.dataplane.format.Compression;
import io.ephemeral.cvmfs.dataplane.format.Manifest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Verifies a manifest received out of band, as the client verifies the one in a notification
 * (format.md 10.6, 5.3): repository name, body hash, signature by the certificate it names, and a
 * whitelist signed by a master key, for this repository, not expired, listing that certificate.
 * Certificate and whitelist are fetched from the repository; certificates are kept, as they
 * never change under their name.
 */
public final class ManifestVerifier {

  private final RemoteRepository remote;
  private final List<PublicKey> masterKeys;
  private final Clock clock;
  private final Map<ContentHash, X509Certificate> certificates = new ConcurrentHashMap<>();

  public ManifestVerifier(RemoteRepository remote, List<PublicKey> masterKeys, Clock clock) {
    if (masterKeys.isEmpty()) {
      throw new IllegalArgumentException("at least one master public key is needed to verify the whitelist");
    }
    this.remote = remote;
    this.masterKeys = List.copyOf(masterKeys);
    this.clock = clock;
  }

  /** Returns the manifest once verified; throws {@link VerificationException} naming the first fault. */
  public Manifest verify(byte[] file) throws IOException {
    SignedDocument document;
    Manifest manifest;
    try {
      document = SignedDocument.parse(file);
      manifest = Manifest.parse(document);
    } catch (IllegalArgumentException e) {
      throw new VerificationException("manifest: " + e.getMessage());
    }
    if (!remote.fqrn().equals(manifest.fqrn())) {
      throw new VerificationException("manifest: repository name mismatch (found " + manifest.fqrn() + ", expected "
          + remote.fqrn() + ")");
    }
    if (manifest.certificate() == null) {
      throw new VerificationException("manifest: no X line, so the certificate cannot be fetched");
    }
    X509Certificate certificate = certificates.get(manifest.certificate());
    if (certificate == null) {
      certificate = fetchCertificate(manifest.certificate());
      certificates.put(manifest.certificate(), certificate);
    }
    if (!document.bodyMatchesHashLine() || !Signatures.verifyManifest(document, certificate.getPublicKey())) {
      throw new VerificationException("manifest: signature does not verify with certificate " + manifest.certificate());
    }
    verifyWhitelist(certificate);
    return manifest;
  }

  private X509Certificate fetchCertificate(ContentHash name) throws IOException {
    byte[] pem = remote.fetchObject(name, ObjectKind.CERTIFICATE, Compression.ZLIB, -1);
    try {
      return Pem.readCertificate(new String(pem, StandardCharsets.US_ASCII));
    } catch (IOException e) {
      throw new VerificationException("certificate " + name + ": " + e.getMessage(), e);
    }
  }

  private void verifyWhitelist(X509Certificate certificate) throws IOException {
    SignedDocument document;
    Whitelist whitelist;
    try {
      document = SignedDocument.parse(remote.fetchWhitelist());
      whitelist = Whitelist.parse(document);
    } catch (IllegalArgumentException e) {
      throw new VerificationException("whitelist: " + e.getMessage());
    }
    if (!document.bodyMatchesHashLine() || masterKeys.stream().noneMatch(key -> Signatures.verifyWhitelist(document, key))) {
      throw new VerificationException("whitelist: invalid whitelist signature");
    }
    if (!remote.fqrn().equals(whitelist.fqrn())) {
      throw new VerificationException("whitelist: it is for repository " + whitelist.fqrn());
    }
    if (!clock.instant().isBefore(whitelist.clientExpiry())) {
      throw new VerificationException("whitelist: expired at " + whitelist.clientExpiry());
    }
    if (!whitelist.lists(certificate)) {
      throw new VerificationException("whitelist: the manifest's certificate is not on the whitelist");
    }
  }
}
