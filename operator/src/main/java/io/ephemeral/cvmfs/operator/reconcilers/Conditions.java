package io.ephemeral.cvmfs.operator.reconcilers;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Builds a condition list the Kubernetes way: a condition keeps its last transition time
 * unless its status changes.
 */
final class Conditions {

  private final List<Condition> previous;
  private final long generation;
  private final Instant now;
  private final List<Condition> conditions = new ArrayList<>();

  Conditions(List<Condition> previous, Long generation, Instant now) {
    this.previous = previous == null ? List.of() : previous;
    this.generation = generation == null ? 0 : generation;
    this.now = now;
  }

  Conditions set(String type, boolean status, String reason, String message) {
    String statusText = status ? "True" : "False";
    String since = previous.stream()
        .filter(c -> c.getType().equals(type) && Objects.equals(c.getStatus(), statusText))
        .map(Condition::getLastTransitionTime)
        .findFirst()
        .orElse(now.toString());
    conditions.removeIf(c -> c.getType().equals(type));
    conditions.add(new ConditionBuilder().withType(type).withStatus(statusText).withReason(reason).withMessage(message)
        .withObservedGeneration(generation).withLastTransitionTime(since).build());
    return this;
  }

  List<Condition> list() {
    return List.copyOf(conditions);
  }

  /** Whether the condition of this type was already in this state before. */
  static boolean was(List<Condition> conditions, String type, boolean status, String reason) {
    return conditions != null && conditions.stream().anyMatch(c -> c.getType().equals(type)
        && c.getStatus().equals(status ? "True" : "False") && Objects.equals(c.getReason(), reason));
  }
}
