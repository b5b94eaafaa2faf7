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
    @JsonPropertyDescription("The data plane's operation of a publish under way; cleared once it succeeded or failed.")
    String operation,
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

  /**
   * A builder that starts from {@code previous}, or from nothing when there is none, so that
   * what a pass does not set (revision, sizes, times) keeps its last value.
   */
  public static Builder carriedOver(CvmfsPublicationStatus previous) {
    return new Builder(previous == null ? new CvmfsPublicationStatus(null, null, null, null, null, null, null, null,
        null, null) : previous);
  }

  /** Sets fields one by one; {@link #build()} makes the record. */
  public static final class Builder {
    private Phase phase;
    private Long revision;
    private String publishedAt;
    private String expiresAt;
    private Long files;
    private Long bytes;
    private String message;
    private String operation;
    private List<Condition> conditions;
    private Long observedGeneration;

    private Builder(CvmfsPublicationStatus from) {
      phase = from.phase;
      revision = from.revision;
      publishedAt = from.publishedAt;
      expiresAt = from.expiresAt;
      files = from.files;
      bytes = from.bytes;
      message = from.message;
      operation = from.operation;
      conditions = from.conditions;
      observedGeneration = from.observedGeneration;
    }

    public Builder phase(Phase value) {
      phase = value;
      return this;
    }

    public Builder revision(Long value) {
      revision = value;
      return this;
    }

    public Builder publishedAt(String value) {
      publishedAt = value;
      return this;
    }

    public Builder expiresAt(String value) {
      expiresAt = value;
      return this;
    }

    public Builder files(Long value) {
      files = value;
      return this;
    }

    public Builder bytes(Long value) {
      bytes = value;
      return this;
    }

    public Builder message(String value) {
      message = value;
      return this;
    }

    public Builder operation(String value) {
      operation = value;
      return this;
    }

    public Builder conditions(List<Condition> value) {
      conditions = value;
      return this;
    }

    public Builder observedGeneration(Long value) {
      observedGeneration = value;
      return this;
    }

    public CvmfsPublicationStatus build() {
      return new CvmfsPublicationStatus(phase, revision, publishedAt, expiresAt, files, bytes, message, operation,
          conditions, observedGeneration);
    }
  }
}
