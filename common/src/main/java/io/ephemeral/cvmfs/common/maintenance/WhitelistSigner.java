package io.ephemeral.cvmfs.common.maintenance;

import io.ephemeral.cvmfs.common.format.HashAlgorithm;
import io.ephemeral.cvmfs.common.format.Signatures;
import io.ephemeral.cvmfs.common.format.Whitelist;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * Signs a fresh whitelist for one certificate, as {@code cvmfs_server resign} does (format.md 6.5).
 * It needs only the master key and the certificate, not the repository, so it can run while a
 * data plane holds the repository's lock.
 */
public record WhitelistSigner(String fqrn, X509Certificate certificate, PrivateKey masterKey, HashAlgorithm algorithm) {

  public byte[] sign(Instant now, Duration validity) {
    Whitelist whitelist = new Whitelist(now, now.plus(validity), fqrn,
        List.of(Whitelist.fingerprint(certificate, algorithm)));
    return whitelist.sign(algorithm, Signatures.whitelistSigner(masterKey)).toBytes();
  }
}
