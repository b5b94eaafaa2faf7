package io.ephemeral.cvmfs.operator.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;

/** Lifetimes and limits the data plane enforces on every publication. */
public record PublicationLimits(
    @JsonPropertyDescription("Lifetime of a publication that names none.")
    @Pattern(Patterns.DURATION) @Default("2h") String defaultTtl,
    @JsonPropertyDescription("Longest lifetime a publication may ask for.")
    @Pattern(Patterns.DURATION) @Default("7d") String maxTtl,
    @JsonPropertyDescription("Largest file in a publication.")
    @Pattern(Patterns.BYTES) @Default("64GiB") String maxFileSize) {

  public static final PublicationLimits DEFAULT = new PublicationLimits(null, null, null);

  public PublicationLimits {
    defaultTtl = defaultTtl == null ? "2h" : defaultTtl;
    maxTtl = maxTtl == null ? "7d" : maxTtl;
    maxFileSize = maxFileSize == null ? "64GiB" : maxFileSize;
  }
}
