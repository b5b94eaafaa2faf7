package io.ephemeral.cvmfs.operator.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;

/** A ConfigMap outside the repository's own objects, such as the one cvmfs-csi mounts as config.d. */
public record ClientConfigMapRef(
    @JsonPropertyDescription("Namespace of the ConfigMap; default: the repository's.")
    @Pattern(Patterns.NAMESPACE) String namespace,
    @JsonPropertyDescription("Name of the ConfigMap, e.g. cvmfs-csi-config-d.")
    @Required @Pattern(Patterns.NAME) @Size(max = Patterns.MAX_NAME) String name) {
}
