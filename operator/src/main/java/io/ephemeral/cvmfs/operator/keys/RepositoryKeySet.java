package io.ephemeral.cvmfs.operator.keys;

import io.ephemeral.cvmfs.common.format.HashAlgorithm;
import io.ephemeral.cvmfs.common.format.KeyGenerator;
import io.ephemeral.cvmfs.common.format.Pem;
import io.ephemeral.cvmfs.common.format.Whitelist;
import io.ephemeral.cvmfs.common.maintenance.InvalidWhitelistException;
import io.ephemeral.cvmfs.common.maintenance.WhitelistCheck;
import io.ephemeral.cvmfs.common.maintenance.WhitelistSigner;
import io.fabric8.kubernetes.api.model.Secret;
import java.io.IOException;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;

/**
 * What a data plane needs to serve a repository without its master key: the repository key and
 * certificate that sign manifests, the master public key and a whitelist signed by the master key.
 */
public record RepositoryKeySet(
    String fqrn, PrivateKey repositoryKey, X509Certificate certificate, PublicKey masterPublicKey, byte[] whitelist) {

  /** Certificates outlive many whitelists: clients check the whitelist's expiry, not the certificate's. */
  private static final Duration CERTIFICATE_VALIDITY = Duration.ofDays(3650);

  /** A new repository key and certificate, listed in a whitelist the master key signs now. */
  public static RepositoryKeySet generate(String fqrn, MasterKey master, HashAlgorithm algorithm, Duration whitelistValidity,
      Instant now) {
    KeyPair pair = KeyGenerator.rsaKeyPair();
    X509Certificate certificate = KeyGenerator.selfSignedCertificate(fqrn, pair, now, CERTIFICATE_VALIDITY);
    byte[] whitelist = new WhitelistSigner(fqrn, certificate, master.privateKey(), algorithm).sign(now, whitelistValidity);
    return new RepositoryKeySet(fqrn, pair.getPrivate(), certificate, master.publicKey(), whitelist);
  }

  /** Reads the set from its Secret. */
  public static RepositoryKeySet fromSecret(String fqrn, Secret secret) throws IOException {
    return new RepositoryKeySet(fqrn,
        Pem.readPrivateKey(required(secret, SecretFiles.repositoryKey(fqrn))),
        Pem.readCertificate(required(secret, SecretFiles.certificate(fqrn))),
        Pem.readPublicKey(required(secret, SecretFiles.masterPublicKey(fqrn))),
        SecretFiles.read(secret, SecretFiles.whitelist(fqrn))
            .orElseThrow(() -> new IOException("the Secret has no " + SecretFiles.whitelist(fqrn))));
  }

  /** Checks the whitelist as a client would and returns it parsed. */
  public Whitelist checkedWhitelist(Instant now) throws InvalidWhitelistException {
    return new WhitelistCheck(fqrn, masterPublicKey, certificate).check(whitelist, now);
  }

  /** The certificate's fingerprint as the whitelist lists it. */
  public String fingerprint(HashAlgorithm algorithm) {
    return Whitelist.fingerprint(certificate, algorithm);
  }

  public String repositoryKeyPem() {
    return Pem.privateKey(repositoryKey);
  }

  public String certificatePem() {
    return Pem.certificate(certificate);
  }

  public String masterPublicKeyPem() {
    return Pem.publicKey(masterPublicKey);
  }

  private static String required(Secret secret, String key) throws IOException {
    return SecretFiles.readString(secret, key).orElseThrow(() -> new IOException("the Secret has no " + key));
  }
}
