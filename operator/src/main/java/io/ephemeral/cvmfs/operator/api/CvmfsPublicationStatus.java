package io.ephemeral.cvmfs.operator.api;

import io.fabric8.kubernetes.api.model.Condition;
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
