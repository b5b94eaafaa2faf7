package io.ephemeral.cvmfs.operator.dependents;

import io.ephemeral.cvmfs.operator.api.CvmfsRepository;
import io.ephemeral.cvmfs.operator.api.ObjectStorage;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import java.util.ArrayList;
import java.util.List;

/**
 * The data plane's environment for a repository kept in a bucket: where the bucket is, the
 * credentials, and the address its replicas redirect writes to when this pod holds the lease.
 */
final class ObjectStorageEnvironment {

  /** The keys of {@code storage.s3.credentialsSecret}, named as the AWS SDK reads them from the environment. */
  static final String ACCESS_KEY_ID = "AWS_ACCESS_KEY_ID";
  static final String SECRET_ACCESS_KEY = "AWS_SECRET_ACCESS_KEY";

  private static final String POD_IP = "POD_IP";

  private ObjectStorageEnvironment() {
  }

  /** Nothing for a repository on its data volume, the data plane's default. */
  static List<EnvVar> of(CvmfsRepository repository) {
    ObjectStorage bucket = repository.getSpec().storage().s3();
    if (bucket == null) {
      return List.of();
    }
    List<EnvVar> env = new ArrayList<>();
    env.add(new EnvVar("CVMFS_EPHEMERAL_STORAGE", bucket.url(), null));
    if (bucket.endpoint() != null) {
      env.add(new EnvVar("CVMFS_EPHEMERAL_S3_ENDPOINT", bucket.endpoint(), null));
    }
    if (bucket.region() != null) {
      env.add(new EnvVar("CVMFS_EPHEMERAL_S3_REGION", bucket.region(), null));
    }
    env.add(new EnvVar("CVMFS_EPHEMERAL_S3_PATH_STYLE", bucket.pathStyle().toString(), null));
    env.add(new EnvVar("CVMFS_EPHEMERAL_S3_PUBLIC_READ", bucket.publicRead().toString(), null));
    // Without a Secret the SDK's default chain finds the credentials: IRSA's token file, the node's role.
    if (bucket.credentialsSecret() != null) {
      env.add(secretKey(ACCESS_KEY_ID, bucket.credentialsSecret()));
      env.add(secretKey(SECRET_ACCESS_KEY, bucket.credentialsSecret()));
    }
    // The pod's own address, not the Service's: a follower's 307 must reach the one pod that writes.
    // Kubernetes expands $(POD_IP) only from a variable defined before it.
    env.add(new EnvVarBuilder().withName(POD_IP).withNewValueFrom().withNewFieldRef().withFieldPath("status.podIP")
        .endFieldRef().endValueFrom().build());
    env.add(new EnvVar("CVMFS_EPHEMERAL_ADVERTISE_URL",
        "http://$(" + POD_IP + "):" + RepositoryResources.DATA_PLANE_PORT, null));
    return env;
  }

  private static EnvVar secretKey(String key, String secret) {
    return new EnvVarBuilder().withName(key).withNewValueFrom().withNewSecretKeyRef()
        .withName(secret).withKey(key).endSecretKeyRef().endValueFrom().build();
  }
}
