package io.ephemeral.cvmfs.operator.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.List;

/**
 * What the operator observed of a repository.
 *
 * @param publicKeyFingerprint SHA-1 fingerprint of the repository certificate, as the whitelist lists it
 * @param storage where the data plane keeps the repository, as it reports it
 * @param writer the data-plane process that holds the writer lease, as the data plane reports it
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
    String whitelistExpiresAt,
    @JsonPropertyDescription("Where the data plane keeps the repository: s3://BUCKET/PREFIX/FQRN or a directory.")
    String storage,
    @JsonPropertyDescription("The data-plane process that writes: with several replicas, the holder of the writer"
        + " lease; the others redirect writes to it.")
    String writer) {

  public CvmfsRepositoryStatus {
    conditions = conditions == null ? List.of() : List.copyOf(conditions);
  }

  /**
   * A builder that starts from {@code previous}, or from nothing when there is none, so that
   * whatever a pass does not set keeps its last value.
   */
  public static Builder carriedOver(CvmfsRepositoryStatus previous) {
    return new Builder(previous == null
        ? new CvmfsRepositoryStatus(null, null, null, null, null, null, null, null, null, null) : previous);
  }

  /** Sets fields one by one; {@link #build()} makes the record. */
  public static final class Builder {
    private List<Condition> conditions;
    private Long observedGeneration;
    private String fqrn;
    private Long revision;
    private String repositoryUrl;
    private String notificationUrl;
    private String publicKeyFingerprint;
    private String whitelistExpiresAt;
    private String storage;
    private String writer;

    private Builder(CvmfsRepositoryStatus from) {
      conditions = from.conditions;
      observedGeneration = from.observedGeneration;
      fqrn = from.fqrn;
      revision = from.revision;
      repositoryUrl = from.repositoryUrl;
      notificationUrl = from.notificationUrl;
      publicKeyFingerprint = from.publicKeyFingerprint;
      whitelistExpiresAt = from.whitelistExpiresAt;
      storage = from.storage;
      writer = from.writer;
    }

    public Builder conditions(List<Condition> value) {
      conditions = value;
      return this;
    }

    public Builder observedGeneration(Long value) {
      observedGeneration = value;
      return this;
    }

    public Builder fqrn(String value) {
      fqrn = value;
      return this;
    }

    public Builder revision(Long value) {
      revision = value;
      return this;
    }

    public Builder repositoryUrl(String value) {
      repositoryUrl = value;
      return this;
    }

    public Builder notificationUrl(String value) {
      notificationUrl = value;
      return this;
    }

    public Builder publicKeyFingerprint(String value) {
      publicKeyFingerprint = value;
      return this;
    }

    public Builder whitelistExpiresAt(String value) {
      whitelistExpiresAt = value;
      return this;
    }

    public Builder storage(String value) {
      storage = value;
      return this;
    }

    public Builder writer(String value) {
      writer = value;
      return this;
    }

    public CvmfsRepositoryStatus build() {
      return new CvmfsRepositoryStatus(conditions, observedGeneration, fqrn, revision, repositoryUrl, notificationUrl,
          publicKeyFingerprint, whitelistExpiresAt, storage, writer);
    }
  }
}
