package io.ephemeral.cvmfs.operator.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.List;

/** What became of a publication. */
public record CvmfsPublicationStatus(
    Phase phase,
    Long revision,
    String publishedAt,
    String expiresAt,
    Long files,
    Long bytes,
    String message,
    @JsonPropertyDescription("Current state, one condition per type.")
    List<Condition> conditions,
    Long observedGeneration) {

  public CvmfsPublicationStatus {
    conditions = conditions == null ? List.of() : List.copyOf(conditions);
  }

  /** Where a publication is in its life. */
  public enum Phase {
    Pending, Publishing, Published, Expired, Failed
  }
}
