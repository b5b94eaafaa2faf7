package io.ephemeral.cvmfs.operator.api;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.ValidationRule;

/**
 * Where the repository lives: on the data volume, an emptyDir by default since the repository is
 * ephemeral, or a claim; or in a bucket, with the data volume an emptyDir of scratch space.
 */
@ValidationRule(value = "!has(self.s3) || !has(self.type) || self.type == 'EmptyDir'",
    message = "storage.s3 and type PersistentVolumeClaim exclude each other: with s3 the repository lives in the"
        + " bucket and the data volume is only scratch space, an emptyDir")
public record Storage(
    @JsonPropertyDescription("EmptyDir or PersistentVolumeClaim; with s3, EmptyDir.")
    @Default("EmptyDir") Type type,
    @JsonPropertyDescription("Size limit of the emptyDir, or requested size of the claim, e.g. 50Gi.")
    @Pattern("^[0-9]+(\\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|k|M|G|T|P)?$") String size,
    @JsonPropertyDescription("Storage class of the claim; default: the cluster's default class.")
    String storageClassName,
    @JsonPropertyDescription("Keep the repository in a bucket of S3-compatible object storage rather than on the"
        + " data volume; needed for replicas above 1.")
    ObjectStorage s3) {

  public static final Storage DEFAULT = new Storage(null, null, null, null);

  public Storage {
    type = type == null ? Type.EMPTY_DIR : type;
  }

  /** Kinds of data volume. */
  public enum Type {
    @JsonProperty("EmptyDir") EMPTY_DIR,
    @JsonProperty("PersistentVolumeClaim") PERSISTENT_VOLUME_CLAIM
  }
}
