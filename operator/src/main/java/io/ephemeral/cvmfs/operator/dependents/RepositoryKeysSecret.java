package io.ephemeral.cvmfs.operator.dependents;

import io.ephemeral.cvmfs.common.format.HashAlgorithm;
import io.ephemeral.cvmfs.operator.api.CvmfsRepository;
import io.ephemeral.cvmfs.operator.keys.MasterKey;
import io.ephemeral.cvmfs.operator.keys.RepositoryKeySet;
import io.ephemeral.cvmfs.operator.keys.SecretFiles;
import io.fabric8.kubernetes.api.model.Secret;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;

/**
 * Everything the data plane mounts as its keys directory: repository key, certificate, master
 * public key and the whitelist, which the maintenance job later replaces in place.
 */
public final class RepositoryKeysSecret extends CreatedOnceSecret {

  public static final String NAME = "keys-secret";

  private final Clock clock;
  private final MasterKeySecret masterKeySecret;

  public RepositoryKeysSecret(Clock clock, MasterKeySecret masterKeySecret) {
    super(NAME);
    this.clock = clock;
    this.masterKeySecret = masterKeySecret;
  }

  @Override
  String secretName(CvmfsRepository repository) {
    return RepositoryResources.keysSecret(repository);
  }

  @Override
  Map<String, String> generate(CvmfsRepository repository, Context<CvmfsRepository> context) {
    String fqrn = repository.fqrn();
    Secret masterSecret = masterKeySecret.getSecondaryResource(repository, context)
        .orElseThrow(() -> new IllegalStateException("the master key Secret is not there yet"));
    MasterKey master;
    try {
      master = MasterKey.fromPem(
          SecretFiles.readString(masterSecret, SecretFiles.masterKey(fqrn)).orElseThrow(),
          SecretFiles.readString(masterSecret, SecretFiles.masterPublicKey(fqrn)).orElseThrow());
    } catch (IOException e) {
      throw new UncheckedIOException("the master key Secret of " + fqrn + " cannot be read", e);
    }
    HashAlgorithm algorithm = HashAlgorithm.fromConfigName(repository.getSpec().hashAlgorithm().flag());
    RepositoryKeySet keys = RepositoryKeySet.generate(fqrn, master, algorithm,
        Duration.ofDays(repository.getSpec().whitelist().validityDays()), clock.instant());
    return Map.of(
        SecretFiles.repositoryKey(fqrn), SecretFiles.encode(keys.repositoryKeyPem()),
        SecretFiles.certificate(fqrn), SecretFiles.encode(keys.certificatePem()),
        SecretFiles.masterPublicKey(fqrn), SecretFiles.encode(keys.masterPublicKeyPem()),
        SecretFiles.whitelist(fqrn), SecretFiles.encode(keys.whitelist()));
  }
}
