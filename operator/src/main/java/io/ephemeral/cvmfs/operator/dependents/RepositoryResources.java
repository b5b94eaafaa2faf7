package io.ephemeral.cvmfs.operator.dependents;

import io.ephemeral.cvmfs.operator.api.Chunking;
import io.ephemeral.cvmfs.operator.api.CvmfsRepository;
import io.ephemeral.cvmfs.operator.api.CvmfsRepositorySpec;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.util.Map;

/** Names and labels of everything a CvmfsRepository becomes, in one place. */
public final class RepositoryResources {

  public static final String MANAGED_BY = "app.kubernetes.io/managed-by";
  public static final String OPERATOR = "cvmfs-ephemeral-operator";
  /** Selects the objects this operator manages, so that its informers watch nothing else. */
  public static final String MANAGED_SELECTOR = MANAGED_BY + "=" + OPERATOR;
  public static final String FQRN_ANNOTATION = "cvmfs.ephemeral.io/fqrn";
  /** On the keys Secret: the hash algorithm its whitelist fingerprints the certificate with. */
  public static final String HASH_ANNOTATION = "cvmfs.ephemeral.io/hash-algorithm";
  /** On the keys Secret: the options the data plane created the repository with and keeps. */
  public static final String CREATION_OPTIONS_ANNOTATION = "cvmfs.ephemeral.io/creation-options";
  /** On the data plane's pod template: a digest of its pod spec, so that a roll is seen. */
  public static final String POD_SPEC_HASH_ANNOTATION = "cvmfs.ephemeral.io/pod-spec-hash";

  public static final int HTTP_PORT = 80;
  public static final int DATA_PLANE_PORT = 8080;
  public static final int NOTIFICATION_PORT = 4929;
  public static final String TOKEN_KEY = "token";
  /** Where cvmfs-csi mounts its config.d ConfigMap; the public key sits beside the .conf file. */
  public static final String CLIENT_KEYS_DIRECTORY = "/etc/cvmfs/config.d";

  private RepositoryResources() {
  }

  /**
   * The creation options besides the hash algorithm, as one comparable string: the data plane
   * remembers them with its data and ignores them on a later start.
   */
  public static String creationOptions(CvmfsRepositorySpec spec) {
    Chunking chunking = spec.chunking();
    return "compression=" + spec.compression().flag()
        + ", chunking=" + chunking.minSize() + "/" + chunking.averageSize() + "/" + chunking.maxSize()
        + ", manifestTtl=" + spec.manifestTtl();
  }

  public static String service(CvmfsRepository repository) {
    return repository.getMetadata().getName();
  }

  public static String keysSecret(CvmfsRepository repository) {
    return repository.getMetadata().getName() + "-keys";
  }

  public static String masterKeySecret(CvmfsRepository repository) {
    return repository.getMetadata().getName() + "-master-key";
  }

  public static String tokenSecret(CvmfsRepository repository) {
    return repository.getMetadata().getName() + "-token";
  }

  public static String tokenSecret(String repositoryName) {
    return repositoryName + "-token";
  }

  public static String dataPlane(CvmfsRepository repository) {
    return repository.getMetadata().getName() + "-data-plane";
  }

  public static String dataClaim(CvmfsRepository repository) {
    return repository.getMetadata().getName() + "-data";
  }

  public static String clientConfig(CvmfsRepository repository) {
    return repository.getMetadata().getName() + "-client-config";
  }

  /** The maintenance CronJob and its ServiceAccount, Role and RoleBinding share this name. */
  public static String maintenance(CvmfsRepository repository) {
    return repository.getMetadata().getName() + "-maintenance";
  }

  /** The Service's address inside the cluster. */
  public static String clusterUrl(CvmfsRepository repository) {
    return "http://" + service(repository) + "." + repository.getMetadata().getNamespace() + ".svc.cluster.local";
  }

  /** The base URL clients are told to use. */
  public static String publicUrl(CvmfsRepository repository) {
    String configured = repository.getSpec().service().publicUrl();
    return configured != null ? stripSlash(configured) : clusterUrl(repository);
  }

  public static String notificationUrl(CvmfsRepository repository) {
    return "http://" + service(repository) + "." + repository.getMetadata().getNamespace() + ".svc.cluster.local:"
        + NOTIFICATION_PORT + "/api/v1";
  }

  public static Map<String, String> labels(CvmfsRepository repository, String component) {
    return Map.of(
        "app.kubernetes.io/name", "cvmfs-ephemeral",
        "app.kubernetes.io/instance", repository.getMetadata().getName(),
        "app.kubernetes.io/component", component,
        MANAGED_BY, OPERATOR);
  }

  /** Labels that select the data-plane pods; fixed for the Deployment's life, unlike the rest. */
  public static Map<String, String> selector(CvmfsRepository repository) {
    return Map.of(
        "app.kubernetes.io/instance", repository.getMetadata().getName(),
        "app.kubernetes.io/component", "data-plane");
  }

  public static ObjectMeta metadata(CvmfsRepository repository, String name, String component) {
    return new ObjectMetaBuilder()
        .withName(name)
        .withNamespace(repository.getMetadata().getNamespace())
        .withLabels(labels(repository, component))
        .addToAnnotations(FQRN_ANNOTATION, repository.fqrn())
        .build();
  }

  private static String stripSlash(String url) {
    return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
  }
}
