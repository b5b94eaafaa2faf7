package io.ephemeral.cvmfs.operator.dependents;

import io.ephemeral.cvmfs.operator.OperatorConfig;
import io.ephemeral.cvmfs.operator.api.CvmfsRepository;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.javaoperatorsdk.operator.api.reconciler.Context;

/**
 * The notification relays: stateless followers of the data plane's notification stream that
 * clients subscribe to instead. The stock client gives up on a server after a few failed
 * subscriptions (cvmfs/cvmfs#3678); the relays keep its stream open while the data plane
 * restarts, and roll one at a time, never all at once.
 */
public final class NotificationRelayDeployment extends OwnedResource<Deployment> {

  public static final String NAME = "notification-relay";

  private final OperatorConfig config;

  public NotificationRelayDeployment(OperatorConfig config) {
    super(Deployment.class, NAME);
    this.config = config;
  }

  @Override
  String resourceName(CvmfsRepository repository) {
    return RepositoryResources.notificationRelay(repository);
  }

  @Override
  protected Deployment desired(CvmfsRepository repository, Context<CvmfsRepository> context) {
    String component = RepositoryResources.NOTIFICATION_RELAY;
    return new DeploymentBuilder()
        .withMetadata(RepositoryResources.metadata(repository, resourceName(repository), component))
        .withNewSpec()
        .withReplicas(repository.getSpec().notifications().replicas())
        .withNewStrategy().withType("RollingUpdate").withNewRollingUpdate()
        .withMaxUnavailable(new IntOrString(0)).withMaxSurge(new IntOrString(1)).endRollingUpdate().endStrategy()
        .withNewSelector().withMatchLabels(RepositoryResources.selector(repository, component)).endSelector()
        .withNewTemplate()
        .withNewMetadata().withLabels(RepositoryResources.labels(repository, component)).endMetadata()
        .withNewSpec()
        .withEnableServiceLinks(false)
        .withAutomountServiceAccountToken(false)
        .withSecurityContext(RestrictedPods.podSecurityContext())
        // Replicas on different nodes where there are several, so that a node's loss leaves one.
        .withNewAffinity().withNewPodAntiAffinity().addNewPreferredDuringSchedulingIgnoredDuringExecution()
        .withWeight(100).withNewPodAffinityTerm().withTopologyKey("kubernetes.io/hostname")
        .withNewLabelSelector().withMatchLabels(RepositoryResources.selector(repository, component)).endLabelSelector()
        .endPodAffinityTerm().endPreferredDuringSchedulingIgnoredDuringExecution().endPodAntiAffinity().endAffinity()
        .addNewContainer()
        .withName("relay")
        .withImage(config.dataPlaneImage())
        .withArgs("relay")
        .withEnv(
            new EnvVar("CVMFS_EPHEMERAL_UPSTREAM", RepositoryResources.writerNotificationUrl(repository, config.clusterDomain()), null),
            new EnvVar("CVMFS_EPHEMERAL_REPOSITORIES", repository.fqrn(), null),
            new EnvVar("CVMFS_EPHEMERAL_NOTIFICATION_PORT", Integer.toString(RepositoryResources.NOTIFICATION_PORT), null),
            // Inside the cluster a retry costs little: follow a restarted data plane within a second.
            new EnvVar("CVMFS_EPHEMERAL_BACKOFF_MAX", "1000", null),
            new EnvVar("CVMFS_LOG_FORMAT", config.logFormat().toString(), null),
            new EnvVar("JDK_JAVA_OPTIONS", "-XX:MaxRAMPercentage=75", null))
        .addNewPort().withName("notifications").withContainerPort(RepositoryResources.NOTIFICATION_PORT).endPort()
        .withReadinessProbe(RestrictedPods.httpProbe("/readyz", "notifications", 5))
        .withLivenessProbe(RestrictedPods.httpProbe("/healthz", "notifications", 10))
        .withResources(repository.getSpec().notifications().resources())
        .withSecurityContext(RestrictedPods.containerSecurityContext())
        .addNewVolumeMount().withName("tmp").withMountPath("/tmp").endVolumeMount()
        .endContainer()
        .addNewVolume().withName("tmp").withNewEmptyDir().endEmptyDir().endVolume()
        .endSpec()
        .endTemplate()
        .endSpec()
        .build();
  }
}
