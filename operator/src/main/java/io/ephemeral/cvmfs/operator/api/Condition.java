package io.ephemeral.cvmfs.operator.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;

/**
 * One aspect of an object's state, with the schema of Kubernetes' metav1.Condition, so that
 * tools reading conditions (kubectl wait, kstatus, Argo CD) and the API server agree with the
 * operator on every field. fabric8's Condition class has the fields but not their schema.
 * The list that holds these is a map keyed by type: the build's CRD post-processing says so,
 * and gives lastTransitionTime and observedGeneration their formats.
 */
public record Condition(
    @JsonPropertyDescription("Type of condition in CamelCase, e.g. Ready.")
    @Required @Pattern(TYPE_PATTERN) @Size(max = 316) String type,

    @JsonPropertyDescription("Status of the condition: True, False or Unknown.")
    @Required Status status,

    @JsonPropertyDescription("The .metadata.generation the condition was set for.")
    @Min(0) Long observedGeneration,

    @JsonPropertyDescription("When the condition last changed from one status to another.")
    @Required String lastTransitionTime,

    @JsonPropertyDescription("Why the condition is in its last transition, in CamelCase.")
    @Required @Pattern(REASON_PATTERN) @Size(min = 1, max = MAX_REASON) String reason,

    @JsonPropertyDescription("Details for people; may be empty.")
    @Required @Size(max = MAX_MESSAGE) String message) {

  /** metav1.Condition's: an optional DNS-subdomain prefix with a slash, then a qualified name. */
  public static final String TYPE_PATTERN =
      "^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$";
  public static final String REASON_PATTERN = "^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$";
  public static final int MAX_REASON = 1024;
  public static final int MAX_MESSAGE = 32768;

  /** The three statuses metav1.Condition allows. */
  public enum Status {
    True, False, Unknown;

    public static Status of(boolean value) {
      return value ? True : False;
    }
  }
}
