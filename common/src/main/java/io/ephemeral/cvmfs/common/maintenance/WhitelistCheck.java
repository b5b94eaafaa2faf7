package io.ephemeral.cvmfs.common.maintenance;

import io.ephemeral.cvmfs.common.format.Signatures;
import io.ephemeral.cvmfs.common.format.SignedDocument;
import io.ephemeral.cvmfs.common.format.Whitelist;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.time.Instant;

/**
 * The checks a client makes on a whitelist (format.md 6.4), made before one is served: well formed,
 * for this repository, signed by the master key, listing the certificate in use, not expired.
 */
public record WhitelistCheck(String fqrn, PublicKey masterPublicKey, X509Certificate certificate) {

  /** Returns the parsed whitelist, or says why a client would reject it. */
  public Whitelist check(byte[] file, Instant now) throws InvalidWhitelistException {
    SignedDocument document;
    Whitelist whitelist;
    try {
      document = SignedDocument.parse(file);
      whitelist = Whitelist.parse(document);
    } catch (IllegalArgumentException e) {
      throw new InvalidWhitelistException("malformed whitelist: " + e.getMessage());
    }
    if (!whitelist.fqrn().equals(fqrn)) {
      throw new InvalidWhitelistException("the whitelist is for " + whitelist.fqrn() + ", not " + fqrn);
    }
    if (!document.bodyMatchesHashLine()) {
      throw new InvalidWhitelistException("the hash line does not match the whitelist's content");
    }
    if (!Signatures.verifyWhitelist(document, masterPublicKey)) {
      throw new InvalidWhitelistException("the whitelist is not signed by the master key of " + fqrn);
    }
    if (!whitelist.lists(certificate)) {
      throw new InvalidWhitelistException("the whitelist does not list the fingerprint of the certificate of " + fqrn);
    }
    if (!whitelist.clientExpiry().isAfter(now)) {
      throw new InvalidWhitelistException("the whitelist expired at " + whitelist.clientExpiry());
    }
    return whitelist;
  }
}
