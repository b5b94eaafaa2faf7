package io.ephemeral.cvmfs.operator.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.List;

/**
 * What the operator observed of a repository.
 *
 * @param publicKeyFingerprint SHA-1 fingerprint of the repository certificate, as the whitelist lists it
 */
public record CvmfsRepositoryStatus(
    @JsonPropertyDescription("Current state, one condition per type.")
    List<Condition> conditions,
    Long observedGeneration,
    String fqrn,
    Long revision,
    String repositoryUrl,
    String notificationUrl,
    String publicKeyFingerprint,
    String whitelistExpiresAt) {

  public CvmfsRepositoryStatus {
    conditions = conditions == null ? List.of() : List.copyOf(conditions);
  }
}
