package io.ephemeral.cvmfs.operator.dependents;

import io.ephemeral.cvmfs.common.repository.ClientConfiguration;
import io.ephemeral.cvmfs.operator.api.CvmfsRepository;
import io.ephemeral.cvmfs.operator.keys.SecretFiles;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.javaoperatorsdk.operator.api.reconciler.Context;

/**
 * The client configuration in the shape cvmfs-csi mounts as {@code /etc/cvmfs/config.d}: the
 * repository's {@code .conf} file and, beside it, the master public key.
 */
public final class ClientConfigMap extends OwnedResource<ConfigMap> {

  public static final String NAME = "client-config";

  private final RepositoryKeysSecret keysSecret;
  private final String clusterDomain;

  public ClientConfigMap(RepositoryKeysSecret keysSecret, String clusterDomain) {
    super(ConfigMap.class, NAME);
    this.keysSecret = keysSecret;
    this.clusterDomain = clusterDomain;
  }

  @Override
  String resourceName(CvmfsRepository repository) {
    return RepositoryResources.clientConfig(repository);
  }

  @Override
  protected ConfigMap desired(CvmfsRepository repository, Context<CvmfsRepository> context) {
    String fqrn = repository.fqrn();
    Secret keys = keysSecret.getSecondaryResource(repository, context)
        .orElseThrow(() -> new IllegalStateException("the keys Secret is not there yet"));
    String publicKey = SecretFiles.readString(keys, SecretFiles.masterPublicKey(fqrn))
        .orElseThrow(() -> new IllegalStateException("the keys Secret has no " + SecretFiles.masterPublicKey(fqrn)));
    // From a bucket's public URL clients read objects straight from the store; notifications still come
    // from the relays, since a bucket pushes nothing.
    ClientConfiguration configuration = new ClientConfiguration(fqrn,
        RepositoryResources.serverUrl(repository, clusterDomain), RepositoryResources.CLIENT_KEYS_DIRECTORY,
        RepositoryResources.notificationUrl(repository, clusterDomain));
    return new ConfigMapBuilder()
        .withMetadata(RepositoryResources.metadata(repository, resourceName(repository), "client-config"))
        .addToData(fqrn + ".conf", configuration.render())
        .addToData(SecretFiles.masterPublicKey(fqrn), publicKey)
        .build();
  }
}
