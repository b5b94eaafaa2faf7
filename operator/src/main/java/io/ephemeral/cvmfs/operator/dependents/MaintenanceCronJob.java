package io.ephemeral.cvmfs.operator.dependents;

import io.ephemeral.cvmfs.operator.OperatorConfig;
import io.ephemeral.cvmfs.operator.api.CvmfsRepository;
import io.ephemeral.cvmfs.operator.keys.SecretFiles;
import io.fabric8.kubernetes.api.model.batch.v1.CronJob;
import io.fabric8.kubernetes.api.model.batch.v1.CronJobBuilder;
import io.javaoperatorsdk.operator.api.reconciler.Context;

/**
 * Collects garbage and re-signs the whitelist on the repository's schedule. It is the only pod
 * that mounts the master key; it puts the new whitelist into the keys Secret, which the data
 * plane mounts, and hands it to the running data plane at once.
 */
public final class MaintenanceCronJob extends OwnedResource<CronJob> {

  public static final String NAME = "maintenance";
  static final String MASTER_KEY_PATH = "/etc/cvmfs-ephemeral/master-key";

  private final OperatorConfig config;

  public MaintenanceCronJob(OperatorConfig config) {
    super(CronJob.class, NAME);
    this.config = config;
  }

  @Override
  String resourceName(CvmfsRepository repository) {
    return RepositoryResources.maintenance(repository);
  }

  @Override
  protected CronJob desired(CvmfsRepository repository, Context<CvmfsRepository> context) {
    String fqrn = repository.fqrn();
    String name = resourceName(repository);
    return new CronJobBuilder()
        .withMetadata(RepositoryResources.metadata(repository, name, "maintenance"))
        .withNewSpec()
        .withSchedule(repository.getSpec().maintenance().schedule())
        .withConcurrencyPolicy("Forbid")
        .withSuccessfulJobsHistoryLimit(1)
        .withFailedJobsHistoryLimit(3)
        .withNewJobTemplate()
        .withNewSpec()
        .withBackoffLimit(3)
        .withNewTemplate()
        .withNewMetadata().withLabels(RepositoryResources.labels(repository, "maintenance")).endMetadata()
        .withNewSpec()
        .withServiceAccountName(name)
        .withRestartPolicy("OnFailure")
        .withEnableServiceLinks(false)
        // Its fsGroup owns the Secret's files: without it the key could not be read.
        .withSecurityContext(RestrictedPods.podSecurityContext())
        .addNewContainer()
        .withName("maintenance")
        .withImage(config.operatorImage())
        .withArgs("maintain",
            "--namespace", repository.getMetadata().getNamespace(),
            "--keys-secret", RepositoryResources.keysSecret(repository),
            "--fqrn", fqrn,
            "--hash", repository.getSpec().hashAlgorithm().flag(),
            "--data-plane-url", RepositoryResources.clusterUrl(repository, config.clusterDomain()),
            "--master-key", MASTER_KEY_PATH + "/" + SecretFiles.masterKey(fqrn),
            "--validity-days", Integer.toString(repository.getSpec().whitelist().validityDays()))
        .addNewEnv().withName("CVMFS_EPHEMERAL_TOKEN").withNewValueFrom().withNewSecretKeyRef()
        .withName(RepositoryResources.tokenSecret(repository)).withKey(RepositoryResources.TOKEN_KEY)
        .endSecretKeyRef().endValueFrom().endEnv()
        .withSecurityContext(RestrictedPods.containerSecurityContext())
        .addNewVolumeMount().withName("master-key").withMountPath(MASTER_KEY_PATH).withReadOnly(true).endVolumeMount()
        .addNewVolumeMount().withName("tmp").withMountPath("/tmp").endVolumeMount()
        .endContainer()
        .addNewVolume().withName("master-key").withNewSecret()
        .withSecretName(RepositoryResources.masterKeySecret(repository)).withDefaultMode(0440).endSecret().endVolume()
        .addNewVolume().withName("tmp").withNewEmptyDir().endEmptyDir().endVolume()
        .endSpec()
        .endTemplate()
        .endSpec()
        .endJobTemplate()
        .endSpec()
        .build();
  }
}
