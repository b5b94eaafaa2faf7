package io.ephemeral.cvmfs.operator.api;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;

/** The data volume: an emptyDir by default, since the repository is ephemeral, or a claim. */
public record Storage(
    @JsonPropertyDescription("EmptyDir or PersistentVolumeClaim.")
    @Default("EmptyDir") Type type,
    @JsonPropertyDescription("Size limit of the emptyDir, or requested size of the claim, e.g. 50Gi.")
    @Pattern("^[0-9]+(\\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|k|M|G|T|P)?$") String size,
    @JsonPropertyDescription("Storage class of the claim; default: the cluster's default class.")
    String storageClassName) {

  public static final Storage DEFAULT = new Storage(null, null, null);

  public Storage {
    type = type == null ? Type.EMPTY_DIR : type;
  }

  /** Kinds of data volume. */
  public enum Type {
    @JsonProperty("EmptyDir") EMPTY_DIR,
    @JsonProperty("PersistentVolumeClaim") PERSISTENT_VOLUME_CLAIM
  }
}
