package io.ephemeral.cvmfs.operator.reconcilers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.AggregatedOperatorException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FailureSummaryTest {

  @Test
  void theApiServersOwnWordsStandForARefusedRequest() {
    KubernetesClientException refused = new KubernetesClientException(new StatusBuilder().withCode(422)
        .withMessage("Service \"demo.example.org\" is invalid: metadata.name: Invalid value").build());
    Exception wrapped = new IllegalStateException("Failure executing: PUT at: https://…\nand much more",
        new RuntimeException(refused));
    assertEquals("Service \"demo.example.org\" is invalid: metadata.name: Invalid value", FailureSummary.of(wrapped));
  }

  @Test
  void anAggregateOfDependentsBecomesOneLineNamingEach() {
    Map<String, Exception> failures = new LinkedHashMap<>();
    failures.put("service", new IllegalArgumentException("bad name\n\tat a.b.C(C.java:1)"));
    failures.put("cronjob", new IllegalStateException(null, new RuntimeException("too long")));
    AggregatedOperatorException aggregate = new AggregatedOperatorException("Exception(s) during workflow", failures);
    StringWriter trace = new StringWriter();
    aggregate.printStackTrace(new PrintWriter(trace));
    assertTrue(trace.toString().lines().count() > 5, "the framework's message spans many lines");
    assertEquals("service: bad name; cronjob: too long", FailureSummary.of(aggregate));
  }

  @Test
  void aLongMessageIsCut() {
    String summary = FailureSummary.of(new RuntimeException("x".repeat(2000)));
    assertEquals(FailureSummary.MAX_LENGTH, summary.length());
    assertTrue(summary.endsWith("…"));
  }
}
