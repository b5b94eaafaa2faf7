package io.ephemeral.cvmfs.operator.dependents;

import io.ephemeral.cvmfs.common.repository.ClientConfiguration;
import io.ephemeral.cvmfs.operator.api.Chunking;
import io.ephemeral.cvmfs.operator.api.CvmfsRepository;
import io.ephemeral.cvmfs.operator.api.CvmfsRepositorySpec;
import io.ephemeral.cvmfs.operator.api.ObjectStorage;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.regex.Pattern;

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

  /** The longest stem: a CronJob's name may have 52 characters, and the longest suffix is "-maintenance". */
  static final int MAX_STEM = 40;
  private static final int HASH_LENGTH = 6;
  private static final int MAX_LABEL_VALUE = 63;
  private static final Pattern LABEL = Pattern.compile("[a-z]([-a-z0-9]*[a-z0-9])?");

  public static final String DATA_PLANE = "data-plane";
  public static final String NOTIFICATION_RELAY = "notification-relay";

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

  /**
   * The stem every dependent's name starts with. A repository's name is a DNS subdomain (dots,
   * up to 253 characters, possibly starting with a digit), but a Service needs a DNS-1035 label
   * and a CronJob at most 52 characters: a name that is not already a short label is cut and
   * given a hash of the whole name, so that two repositories never share a stem.
   */
  public static String stem(String repositoryName) {
    if (repositoryName.length() <= MAX_STEM && LABEL.matcher(repositoryName).matches()) {
      return repositoryName;
    }
    String safe = repositoryName.replace('.', '-');
    if (!Character.isLetter(safe.charAt(0))) {
      safe = "r-" + safe;
    }
    String cut = safe.substring(0, Math.min(safe.length(), MAX_STEM - HASH_LENGTH - 1));
    while (cut.endsWith("-")) {
      cut = cut.substring(0, cut.length() - 1);
    }
    return cut + "-" + shortHash(repositoryName);
  }

  private static String shortHash(String name) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(name.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest).substring(0, HASH_LENGTH);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }

  public static String stem(CvmfsRepository repository) {
    return stem(repository.getMetadata().getName());
  }

  public static String service(CvmfsRepository repository) {
    return stem(repository);
  }

  public static String keysSecret(CvmfsRepository repository) {
    return stem(repository) + "-keys";
  }

  public static String masterKeySecret(CvmfsRepository repository) {
    return stem(repository) + "-master-key";
  }

  public static String tokenSecret(CvmfsRepository repository) {
    return tokenSecret(repository.getMetadata().getName());
  }

  public static String tokenSecret(String repositoryName) {
    return stem(repositoryName) + "-token";
  }

  public static String dataPlane(CvmfsRepository repository) {
    return stem(repository) + "-data-plane";
  }

  public static String dataClaim(CvmfsRepository repository) {
    return stem(repository) + "-data";
  }

  public static String clientConfig(CvmfsRepository repository) {
    return stem(repository) + "-client-config";
  }

  /** The maintenance CronJob and its ServiceAccount, Role and RoleBinding share this name. */
  public static String maintenance(CvmfsRepository repository) {
    return stem(repository) + "-maintenance";
  }

  /** The Service's address inside the cluster, by its fully qualified name in the cluster's domain. */
  public static String clusterUrl(CvmfsRepository repository, String clusterDomain) {
    return "http://" + service(repository) + "." + repository.getMetadata().getNamespace() + ".svc." + clusterDomain;
  }

  /**
   * The base URL clients are told to use: {@code spec.service.publicUrl}, else the Service's
   * name in the cluster, which client pods resolve (a node's own resolver does not: nodes that
   * mount need a public URL).
   */
  public static String publicUrl(CvmfsRepository repository, String clusterDomain) {
    String configured = repository.getSpec().service().publicUrl();
    return configured != null ? stripSlash(configured) : clusterUrl(repository, clusterDomain);
  }

  /**
   * What clients are told as {@code CVMFS_SERVER_URL}: the bucket's {@code storage.s3.publicUrl}
   * when it has one, where the repository lies under its name, else the {@link #publicUrl} of
   * the data plane, which serves it under {@code /cvmfs/}.
   */
  public static String serverUrl(CvmfsRepository repository, String clusterDomain) {
    ObjectStorage bucket = repository.getSpec().storage().s3();
    return bucket != null && bucket.publicUrl() != null
        ? stripSlash(bucket.publicUrl()) + "/" + ClientConfiguration.FQRN_PLACEHOLDER
        : ClientConfiguration.stratumZeroUrl(publicUrl(repository, clusterDomain));
  }

  /** Where clients read the repository: {@link #serverUrl} with its name put in, as a client does. */
  public static String repositoryUrl(CvmfsRepository repository, String clusterDomain) {
    return serverUrl(repository, clusterDomain).replace(ClientConfiguration.FQRN_PLACEHOLDER, repository.fqrn());
  }

  /**
   * The notification API clients subscribe to: {@code spec.service.notificationUrl}, else the
   * relay Service's fully qualified name, which stays up while the data plane restarts.
   */
  public static String notificationUrl(CvmfsRepository repository, String clusterDomain) {
    String configured = repository.getSpec().service().notificationUrl();
    return configured != null ? stripSlash(configured) : "http://" + notificationRelay(repository) + "."
        + repository.getMetadata().getNamespace() + ".svc." + clusterDomain + ":" + NOTIFICATION_PORT + "/api/v1";
  }

  /** The data plane's own notification API, which the relays follow. */
  public static String writerNotificationUrl(CvmfsRepository repository, String clusterDomain) {
    return clusterUrl(repository, clusterDomain) + ":" + NOTIFICATION_PORT + "/api/v1";
  }

  /** The relays' Deployment, Service and PodDisruptionBudget share this name. */
  public static String notificationRelay(CvmfsRepository repository) {
    return stem(repository) + "-notify";
  }

  public static Map<String, String> labels(CvmfsRepository repository, String component) {
    return Map.of(
        "app.kubernetes.io/name", "cvmfs-ephemeral",
        "app.kubernetes.io/instance", instance(repository),
        "app.kubernetes.io/component", component,
        MANAGED_BY, OPERATOR);
  }

  /** Labels that select the data-plane pods; fixed for the Deployment's life, unlike the rest. */
  public static Map<String, String> selector(CvmfsRepository repository) {
    return selector(repository, DATA_PLANE);
  }

  public static Map<String, String> selector(CvmfsRepository repository, String component) {
    return Map.of(
        "app.kubernetes.io/instance", instance(repository),
        "app.kubernetes.io/component", component);
  }

  /** The repository's name where a label value can hold it (63 characters), else its stem. */
  private static String instance(CvmfsRepository repository) {
    String name = repository.getMetadata().getName();
    return name.length() <= MAX_LABEL_VALUE ? name : stem(repository);
  }

  public static ObjectMeta metadata(CvmfsRepository repository, String name, String component) {
    return new ObjectMetaBuilder()
        .withName(name)
        .withNamespace(repository.getMetadata().getNamespace())
        .withLabels(labels(repository, component))
        .addToAnnotations(FQRN_ANNOTATION, repository.fqrn())
        .withOwnerReferences(controllerReference(repository))
        .build();
  }

  /**
   * Marks the repository as the one controller of what it becomes, and keeps a foreground
   * deletion of the repository waiting until its dependents are gone.
   */
  static OwnerReference controllerReference(CvmfsRepository repository) {
    return new OwnerReferenceBuilder()
        .withApiVersion(repository.getApiVersion())
        .withKind(repository.getKind())
        .withName(repository.getMetadata().getName())
        .withUid(repository.getMetadata().getUid())
        .withController(true)
        .withBlockOwnerDeletion(true)
        .build();
  }

  private static String stripSlash(String url) {
    return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
  }
}
