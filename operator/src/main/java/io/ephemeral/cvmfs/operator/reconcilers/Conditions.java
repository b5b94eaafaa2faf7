package io.ephemeral.cvmfs.operator.reconcilers;

import io.ephemeral.cvmfs.operator.api.Condition.Status;
import io.ephemeral.cvmfs.operator.api.Condition;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Builds a condition list the Kubernetes way: a condition keeps its last transition time
 * unless its status changes. Every condition it makes passes the CRD's metav1.Condition
 * schema, since the API server would refuse the whole status otherwise.
 */
final class Conditions {

  private static final Pattern TYPE = Pattern.compile(Condition.TYPE_PATTERN);
  private static final Pattern REASON = Pattern.compile(Condition.REASON_PATTERN);
  /** Stands in for a reason that had nothing usable in it. */
  static final String UNKNOWN_REASON = "Unknown";

  private final List<Condition> previous;
  private final long generation;
  private final String now;
  private final List<Condition> conditions = new ArrayList<>();

  Conditions(List<Condition> previous, Long generation, Instant now) {
    this.previous = previous == null ? List.of() : previous;
    this.generation = generation == null || generation < 0 ? 0 : generation;
    // metav1.Time has whole seconds.
    this.now = now.truncatedTo(ChronoUnit.SECONDS).toString();
  }

  Conditions set(String type, boolean status, String reason, String message) {
    return set(type, Status.of(status), reason, message);
  }

  Conditions set(String type, Status status, String reason, String message) {
    if (type == null || type.length() > 316 || !TYPE.matcher(type).matches()) {
      throw new IllegalArgumentException("not a condition type: " + type);
    }
    Objects.requireNonNull(status, "status");
    String since = previous.stream()
        .filter(c -> type.equals(c.type()) && c.status() == status && c.lastTransitionTime() != null)
        .map(Condition::lastTransitionTime)
        .findFirst()
        .orElse(now);
    conditions.removeIf(c -> c.type().equals(type));
    conditions.add(new Condition(type, status, generation, since, reason(reason), message(message)));
    return this;
  }

  List<Condition> list() {
    return List.copyOf(conditions);
  }

  /**
   * A reason the schema accepts: characters it does not allow are dropped, and so are leading
   * ones that are not letters and trailing ones that are not letters, digits or underscores.
   */
  static String reason(String reason) {
    if (reason != null && reason.length() <= Condition.MAX_REASON && REASON.matcher(reason).matches()) {
      return reason;
    }
    String kept = reason == null ? "" : reason.replaceAll("[^A-Za-z0-9_,:]", "")
        .replaceFirst("^[^A-Za-z]+", "");
    if (kept.length() > Condition.MAX_REASON) {
      kept = kept.substring(0, Condition.MAX_REASON);
    }
    kept = kept.replaceFirst("[,:]+$", "");
    return kept.isEmpty() ? UNKNOWN_REASON : kept;
  }

  /** Never null, and no longer than the schema allows; a cut never splits a surrogate pair. */
  static String message(String message) {
    if (message == null) {
      return "";
    }
    if (message.length() <= Condition.MAX_MESSAGE) {
      return message;
    }
    int end = Condition.MAX_MESSAGE;
    if (Character.isHighSurrogate(message.charAt(end - 1))) {
      end--;
    }
    return message.substring(0, end);
  }

  /** Whether the condition of this type was already in this state before. */
  static boolean was(List<Condition> conditions, String type, boolean status, String reason) {
    return conditions != null && conditions.stream().anyMatch(c -> type.equals(c.type())
        && c.status() == Status.of(status) && Objects.equals(c.reason(), reason));
  }
}
