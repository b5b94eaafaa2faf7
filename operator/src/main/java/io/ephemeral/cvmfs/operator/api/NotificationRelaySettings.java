package io.ephemeral.cvmfs.operator.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.kubernetes.api.model.ResourceRequirements;

/** The notification relays that clients subscribe to, so that a data-plane restart ends no subscription. */
public record NotificationRelaySettings(
    @JsonPropertyDescription("Relay replicas; with two or more, one always runs while the others roll or move.")
    @Min(1) @Max(20) @Default("2") Integer replicas,
    @JsonPropertyDescription("Resources of each relay container.")
    ResourceRequirements resources) {

  public static final NotificationRelaySettings DEFAULT = new NotificationRelaySettings(null, null);

  public NotificationRelaySettings {
    replicas = replicas == null ? 2 : replicas;
  }
}
