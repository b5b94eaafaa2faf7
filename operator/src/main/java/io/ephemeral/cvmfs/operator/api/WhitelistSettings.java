package io.ephemeral.cvmfs.operator.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;

/** How long each signed whitelist is valid; the maintenance job signs a new one on every run. */
public record WhitelistSettings(
    @JsonPropertyDescription("Days a freshly signed whitelist is valid.")
    @Min(1) @Max(365) @Default("30") Integer validityDays) {

  public static final WhitelistSettings DEFAULT = new WhitelistSettings(null);

  public WhitelistSettings {
    validityDays = validityDays == null ? 30 : validityDays;
  }
}
