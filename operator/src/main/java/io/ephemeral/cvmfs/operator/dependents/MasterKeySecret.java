package io.ephemeral.cvmfs.operator.dependents;

import io.ephemeral.cvmfs.operator.api.CvmfsRepository;
import io.ephemeral.cvmfs.operator.keys.MasterKey;
import io.ephemeral.cvmfs.operator.keys.SecretFiles;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import java.util.Map;

/** The master key pair; only the maintenance job mounts it, never the data plane. */
public final class MasterKeySecret extends CreatedOnceSecret {

  public static final String NAME = "master-key-secret";

  public MasterKeySecret() {
    super(NAME);
  }

  @Override
  String secretName(CvmfsRepository repository) {
    return RepositoryResources.masterKeySecret(repository);
  }

  @Override
  Map<String, String> generate(CvmfsRepository repository, Context<CvmfsRepository> context) {
    MasterKey master = MasterKey.generate();
    String fqrn = repository.fqrn();
    return Map.of(
        SecretFiles.masterKey(fqrn), SecretFiles.encode(master.privatePem()),
        SecretFiles.masterPublicKey(fqrn), SecretFiles.encode(master.publicPem()));
  }
}
