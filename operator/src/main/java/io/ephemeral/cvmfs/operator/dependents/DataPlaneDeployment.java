package io.ephemeral.cvmfs.operator.dependents;

import io.ephemeral.cvmfs.common.observability.LogFormat;
import io.ephemeral.cvmfs.common.publish.Ttl;
import io.ephemeral.cvmfs.operator.OperatorConfig;
import io.ephemeral.cvmfs.operator.api.CvmfsRepository;
import io.ephemeral.cvmfs.operator.api.CvmfsRepositorySpec;
import io.ephemeral.cvmfs.operator.api.ObjectStorage;
import io.ephemeral.cvmfs.operator.api.Storage;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodSpecBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentStrategy;
import io.fabric8.kubernetes.api.model.apps.DeploymentStrategyBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * The data plane serving the repository: keys from the keys Secret mounted read-only, the token
 * from its Secret, data on an emptyDir or the claim, or in a bucket with an emptyDir as scratch
 * space. Only spec fields the pod uses enter its template, so editing the maintenance schedule or
 * the Service type leaves it running (a roll would empty an emptyDir); a hash of the pod spec
 * tells the reconciler it changed.
 */
public final class DataPlaneDeployment extends OwnedResource<Deployment> {

  public static final String NAME = "data-plane";
  static final String DATA_PATH = "/var/lib/cvmfs-ephemeral";
  static final String KEYS_PATH = "/etc/cvmfs-ephemeral/keys";

  /**
   * Kubernetes' default, spelled out: the pod is killed this long after SIGTERM. The data plane
   * drains requests in flight for {@link #SHUTDOWN_GRACE_SECONDS} of it and needs the rest to close.
   */
  static final long TERMINATION_GRACE_SECONDS = 30;
  static final long SHUTDOWN_GRACE_SECONDS = TERMINATION_GRACE_SECONDS - 5;

  private final OperatorConfig config;

  public DataPlaneDeployment(OperatorConfig config) {
    super(Deployment.class, NAME);
    this.config = config;
  }

  @Override
  String resourceName(CvmfsRepository repository) {
    return RepositoryResources.dataPlane(repository);
  }

  @Override
  protected Deployment desired(CvmfsRepository repository, Context<CvmfsRepository> context) {
    CvmfsRepositorySpec spec = repository.getSpec();
    PodSpec pod = podSpec(repository);
    return new DeploymentBuilder()
        .withMetadata(RepositoryResources.metadata(repository, resourceName(repository), "data-plane"))
        .withNewSpec()
        .withReplicas(spec.replicas())
        .withStrategy(strategy(spec.storage()))
        .withNewSelector().withMatchLabels(RepositoryResources.selector(repository)).endSelector()
        .withNewTemplate()
        .withNewMetadata()
        .withLabels(RepositoryResources.labels(repository, "data-plane"))
        .addToAnnotations(RepositoryResources.POD_SPEC_HASH_ANNOTATION, hash(pod))
        .endMetadata()
        .withSpec(pod)
        .endTemplate()
        .endSpec()
        .build();
  }

  /**
   * On a data volume one process owns the repository's data: never two at once, not even during a
   * rollout. In a bucket the writer lease keeps a second one a follower, so the new pods come up
   * before the old go and reads never stop.
   */
  private static DeploymentStrategy strategy(Storage storage) {
    if (storage.s3() == null) {
      return new DeploymentStrategyBuilder().withType("Recreate").build();
    }
    return new DeploymentStrategyBuilder().withType("RollingUpdate").withNewRollingUpdate()
        .withMaxSurge(new IntOrString(1)).withMaxUnavailable(new IntOrString(0)).endRollingUpdate().build();
  }

  private PodSpec podSpec(CvmfsRepository repository) {
    ObjectStorage bucket = repository.getSpec().storage().s3();
    return new PodSpecBuilder()
        .withServiceAccountName(bucket == null ? null : bucket.serviceAccountName())
        .withEnableServiceLinks(false)
        .withAutomountServiceAccountToken(false)
        .withTerminationGracePeriodSeconds(TERMINATION_GRACE_SECONDS)
        .withSecurityContext(RestrictedPods.podSecurityContext())
        .withContainers(container(repository))
        .withVolumes(volumes(repository))
        .build();
  }

  private Container container(CvmfsRepository repository) {
    return new ContainerBuilder()
        .withName("data-plane")
        .withImage(config.dataPlaneImage())
        .withArgs("serve")
        .withEnv(environment(repository, config.clusterDomain(), config.logFormat()))
        .addNewPort().withName("http").withContainerPort(RepositoryResources.DATA_PLANE_PORT).endPort()
        .addNewPort().withName("notifications").withContainerPort(RepositoryResources.NOTIFICATION_PORT).endPort()
        .withReadinessProbe(RestrictedPods.httpProbe("/readyz", "http", 5))
        .withLivenessProbe(RestrictedPods.httpProbe("/healthz", "http", 10))
        .withResources(repository.getSpec().resources())
        .withSecurityContext(RestrictedPods.containerSecurityContext())
        .addNewVolumeMount().withName("data").withMountPath(DATA_PATH).endVolumeMount()
        .addNewVolumeMount().withName("keys").withMountPath(KEYS_PATH).withReadOnly(true).endVolumeMount()
        .addNewVolumeMount().withName("tmp").withMountPath("/tmp").endVolumeMount()
        .build();
  }

  private static List<EnvVar> environment(CvmfsRepository repository, String clusterDomain, LogFormat logFormat) {
    CvmfsRepositorySpec spec = repository.getSpec();
    List<EnvVar> env = new ArrayList<>();
    env.add(env("CVMFS_EPHEMERAL_REPOSITORIES", repository.fqrn()));
    env.add(env("CVMFS_EPHEMERAL_DATA", DATA_PATH));
    env.add(env("CVMFS_EPHEMERAL_KEYS", KEYS_PATH));
    env.add(env("CVMFS_EPHEMERAL_WHITELIST_FILE", KEYS_PATH + "/{fqrn}.cvmfswhitelist"));
    env.add(new EnvVarBuilder().withName("CVMFS_EPHEMERAL_TOKEN").withNewValueFrom().withNewSecretKeyRef()
        .withName(RepositoryResources.tokenSecret(repository)).withKey(RepositoryResources.TOKEN_KEY)
        .endSecretKeyRef().endValueFrom().build());
    env.add(env("CVMFS_EPHEMERAL_PUBLIC_URL", RepositoryResources.publicUrl(repository, clusterDomain)));
    env.add(env("CVMFS_LOG_FORMAT", logFormat.toString()));
    env.add(env("CVMFS_EPHEMERAL_HASH", spec.hashAlgorithm().flag()));
    env.add(env("CVMFS_EPHEMERAL_COMPRESSION", spec.compression().flag()));
    env.add(env("CVMFS_EPHEMERAL_CHUNK_MIN", spec.chunking().minSize()));
    env.add(env("CVMFS_EPHEMERAL_CHUNK_AVG", spec.chunking().averageSize()));
    env.add(env("CVMFS_EPHEMERAL_CHUNK_MAX", spec.chunking().maxSize()));
    env.add(env("CVMFS_EPHEMERAL_MANIFEST_TTL", Long.toString(Ttl.parse(spec.manifestTtl()).toSeconds())));
    env.add(env("CVMFS_EPHEMERAL_DEFAULT_TTL", spec.publications().defaultTtl()));
    env.add(env("CVMFS_EPHEMERAL_MAX_TTL", spec.publications().maxTtl()));
    env.add(env("CVMFS_EPHEMERAL_MAX_FILE_SIZE", spec.publications().maxFileSize()));
    env.add(env("CVMFS_EPHEMERAL_WHITELIST_MIN_DAYS", Integer.toString(whitelistMinDays(spec.whitelist().validityDays()))));
    // The maintenance CronJob collects garbage; the server itself does not.
    env.add(env("CVMFS_EPHEMERAL_GC_INTERVAL", "0"));
    env.add(env("CVMFS_EPHEMERAL_SHUTDOWN_GRACE", SHUTDOWN_GRACE_SECONDS + "s"));
    if (spec.maintenance().gcGrace() != null) {
      env.add(env("CVMFS_EPHEMERAL_GC_GRACE", Long.toString(Ttl.parse(spec.maintenance().gcGrace()).toSeconds())));
    }
    env.addAll(ObjectStorageEnvironment.of(repository));
    return env;
  }

  private static List<Volume> volumes(CvmfsRepository repository) {
    Storage storage = repository.getSpec().storage();
    VolumeBuilder data = new VolumeBuilder().withName("data");
    if (storage.type() == Storage.Type.PERSISTENT_VOLUME_CLAIM) {
      data.withNewPersistentVolumeClaim().withClaimName(RepositoryResources.dataClaim(repository)).endPersistentVolumeClaim();
    } else {
      data.withNewEmptyDir().withSizeLimit(storage.size() == null ? null : new Quantity(storage.size())).endEmptyDir();
    }
    return List.of(
        data.build(),
        new VolumeBuilder().withName("keys").withNewSecret()
            .withSecretName(RepositoryResources.keysSecret(repository)).withDefaultMode(0440).endSecret().build(),
        new VolumeBuilder().withName("tmp").withNewEmptyDir().endEmptyDir().build());
  }

  private static EnvVar env(String name, String value) {
    return new EnvVar(name, value, null);
  }

  /**
   * Days of whitelist left below which the pod warns: a third of its validity, at most three,
   * so that a short validity starts without a warning and a stalled maintenance job shows.
   */
  static int whitelistMinDays(int validityDays) {
    return Math.min(3, validityDays / 3);
  }

  /** A short digest of the pod spec, which changes exactly when the pods roll. */
  static String hash(PodSpec pod) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256")
          .digest(Serialization.asJson(pod).getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest, 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }
}
