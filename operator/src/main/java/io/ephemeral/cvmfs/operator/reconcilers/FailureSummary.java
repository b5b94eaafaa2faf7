package io.ephemeral.cvmfs.operator.reconcilers;

import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.AggregatedOperatorException;

/**
 * One line that says why a reconciliation failed, for a condition's message: the framework's
 * exceptions wrap the cause and aggregate the failures of several dependents with their stack
 * traces, which belong in the log, not in the status.
 */
final class FailureSummary {

  static final int MAX_LENGTH = 500;

  private FailureSummary() {
  }

  static String of(Throwable failure) {
    String text;
    if (failure instanceof AggregatedOperatorException aggregated && !aggregated.getAggregatedExceptions().isEmpty()) {
      StringBuilder joined = new StringBuilder();
      aggregated.getAggregatedExceptions().forEach((dependent, e) ->
          joined.append(joined.length() == 0 ? "" : "; ").append(dependent).append(": ").append(of(e)));
      text = joined.toString();
    } else {
      text = innermost(failure);
    }
    String line = text.strip().lines().findFirst().orElse("").strip();
    return line.length() <= MAX_LENGTH ? line : line.substring(0, MAX_LENGTH - 1) + "…";
  }

  /** The message of the innermost cause that has one; the API server's own words for a refused request. */
  private static String innermost(Throwable failure) {
    String message = failure.getClass().getSimpleName();
    for (Throwable cause = failure; cause != null; cause = cause.getCause() == cause ? null : cause.getCause()) {
      if (cause instanceof KubernetesClientException k && k.getStatus() != null && k.getStatus().getMessage() != null) {
        return k.getStatus().getMessage();
      }
      if (cause.getMessage() != null && !cause.getMessage().isBlank()) {
        message = cause.getMessage();
      }
    }
    return message;
  }
}
