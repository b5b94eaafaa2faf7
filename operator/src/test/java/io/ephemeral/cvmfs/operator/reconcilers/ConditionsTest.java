package io.ephemeral.cvmfs.operator.reconcilers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.ephemeral.cvmfs.operator.api.Condition.Status;
import io.ephemeral.cvmfs.operator.api.Condition;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** When a condition's transition time moves, and that every condition made passes the CRD's schema. */
class ConditionsTest {

  private static final Instant BEFORE = Instant.parse("2026-01-01T10:00:00Z");
  private static final Instant NOW = Instant.parse("2026-01-01T12:30:45.678Z");
  private static final String BEFORE_TEXT = "2026-01-01T10:00:00Z";
  /** Whole seconds, as metav1.Time has. */
  private static final String NOW_TEXT = "2026-01-01T12:30:45Z";

  private static Condition was(String type, Status status, String reason) {
    return new Condition(type, status, 1L, BEFORE_TEXT, reason, "before");
  }

  static Stream<Arguments> transitions() {
    return Stream.of(
        // previous conditions, type, new status, new reason, expected lastTransitionTime
        Arguments.of("no previous condition", List.of(), "Ready", Status.True, "Ready", NOW_TEXT),
        Arguments.of("True stays True", List.of(was("Ready", Status.True, "Ready")), "Ready", Status.True, "Ready",
            BEFORE_TEXT),
        Arguments.of("False stays False, the reason changes", List.of(was("Ready", Status.False, "DataPlaneNotReady")),
            "Ready", Status.False, "InvalidSpec", BEFORE_TEXT),
        Arguments.of("True flips to False", List.of(was("Ready", Status.True, "Ready")), "Ready", Status.False,
            "DataPlaneNotReady", NOW_TEXT),
        Arguments.of("False flips to True", List.of(was("Ready", Status.False, "DataPlaneNotReady")), "Ready",
            Status.True, "Ready", NOW_TEXT),
        Arguments.of("False becomes Unknown", List.of(was("Ready", Status.False, "DataPlaneNotReady")), "Ready",
            Status.Unknown, "Checking", NOW_TEXT),
        Arguments.of("another type's time is not taken", List.of(was("KeysReady", Status.True, "Generated")),
            "Ready", Status.True, "Ready", NOW_TEXT),
        Arguments.of("a previous condition without a time", List.of(new Condition("Ready", Status.True, 1L, null,
            "Ready", "")), "Ready", Status.True, "Ready", NOW_TEXT));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("transitions")
  void theTransitionTimeMovesOnlyWhenTheStatusChanges(String name, List<Condition> previous, String type,
      Status status, String reason, String expectedSince) {
    List<Condition> conditions = new Conditions(previous, 3L, NOW).set(type, status, reason, "now").list();
    assertEquals(1, conditions.size());
    Condition condition = conditions.get(0);
    assertEquals(new Condition(type, status, 3L, expectedSince, reason, "now"), condition);
  }

  @Test
  void settingATypeTwiceKeepsTheLastAndOneEntry() {
    List<Condition> conditions = new Conditions(null, null, NOW)
        .set("Ready", false, "DataPlaneNotReady", "first")
        .set("KeysReady", true, "Generated", "keys")
        .set("Ready", true, "Ready", "second")
        .list();
    assertEquals(List.of("KeysReady", "Ready"), conditions.stream().map(Condition::type).toList());
    assertEquals("second", conditions.get(1).message());
    assertEquals(0L, conditions.get(0).observedGeneration(), "no generation yet reads as 0");
  }

  static Stream<Arguments> reasons() {
    return Stream.of(
        Arguments.of("Ready", "Ready"),
        Arguments.of("Data_Plane:Not,Ready", "Data_Plane:Not,Ready"),
        Arguments.of("not ready", "notready"),
        Arguments.of("404NotFound", "NotFound"),
        Arguments.of("Failed:", "Failed"),
        Arguments.of("Failed, retrying.", "Failed,retrying"),
        Arguments.of("", Conditions.UNKNOWN_REASON),
        Arguments.of(null, Conditions.UNKNOWN_REASON),
        Arguments.of("1234", Conditions.UNKNOWN_REASON),
        Arguments.of("R" + "e".repeat(2000), "R" + "e".repeat(Condition.MAX_REASON - 1)));
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @MethodSource("reasons")
  void everyReasonMatchesThePattern(String given, String expected) {
    String reason = new Conditions(null, 1L, NOW).set("Ready", true, given, "m").list().get(0).reason();
    assertEquals(expected, reason);
    assertTrue(Pattern.compile(Condition.REASON_PATTERN).matcher(reason).matches(), reason);
  }

  @Test
  void theMessageIsNeverNullNorTooLong() {
    assertEquals("", new Conditions(null, 1L, NOW).set("Ready", true, "Ready", null).list().get(0).message());
    String tooLong = "x".repeat(Condition.MAX_MESSAGE - 1) + "\uD83D\uDE00" + "y";
    String message = new Conditions(null, 1L, NOW).set("Ready", true, "Ready", tooLong).list().get(0).message();
    assertEquals(Condition.MAX_MESSAGE - 1, message.length(), "the cut does not split the surrogate pair");
  }

  @Test
  void aTypeTheSchemaRefusesIsAMistakeInTheOperator() {
    assertThrows(IllegalArgumentException.class, () -> new Conditions(null, 1L, NOW).set("not ready", true, "R", ""));
    assertThrows(IllegalArgumentException.class, () -> new Conditions(null, 1L, NOW).set(null, true, "R", ""));
  }

  @Test
  void wasComparesTypeStatusAndReason() {
    List<Condition> previous = List.of(was("Ready", Status.False, "InvalidSpec"));
    assertTrue(Conditions.was(previous, "Ready", false, "InvalidSpec"));
    assertFalse(Conditions.was(previous, "Ready", true, "InvalidSpec"));
    assertFalse(Conditions.was(previous, "Ready", false, "DataPlaneNotReady"));
    assertFalse(Conditions.was(null, "Ready", false, "InvalidSpec"));
  }

  /** Checked against the generated CRD itself, as the API server would. */
  @Test
  void whatItMakesPassesTheGeneratedSchema() throws IOException {
    JsonNode item;
    try (InputStream crd = getClass().getClassLoader()
        .getResourceAsStream("META-INF/fabric8/cvmfsrepositories.cvmfs.ephemeral.io-v1.yml")) {
      assertNotNull(crd, "no generated CRD on the class path");
      item = Serialization.yamlMapper().readTree(crd).path("spec").path("versions").get(0).path("schema")
          .path("openAPIV3Schema").path("properties").path("status").path("properties").path("conditions")
          .path("items");
    }
    List<Condition> conditions = new Conditions(List.of(was("Ready", Status.True, "Ready")), 7L, NOW)
        .set("Ready", false, "Data plane: not ready!", null)
        .set("KeysReady", Status.Unknown, null, "m".repeat(Condition.MAX_MESSAGE + 10))
        .list();
    for (Condition condition : conditions) {
      JsonNode value = Serialization.jsonMapper().valueToTree(condition);
      item.path("required").forEach(r -> assertTrue(value.hasNonNull(r.asText()), r.asText() + " in " + value));
      item.path("properties").fields().forEachRemaining(p -> {
        JsonNode schema = p.getValue();
        JsonNode field = value.path(p.getKey());
        if (field.isMissingNode()) {
          return;
        }
        String where = condition.type() + "." + p.getKey();
        if (schema.has("pattern")) {
          assertTrue(Pattern.compile(schema.get("pattern").asText()).matcher(field.asText()).find(), where);
        }
        if (schema.has("maxLength")) {
          assertTrue(field.asText().codePointCount(0, field.asText().length()) <= schema.get("maxLength").asInt(), where);
        }
        if (schema.has("minLength")) {
          assertTrue(field.asText().length() >= schema.get("minLength").asInt(), where);
        }
        if (schema.has("enum")) {
          List<String> allowed = Serialization.jsonMapper().convertValue(schema.get("enum"), List.class);
          assertTrue(allowed.contains(field.asText()), where);
        }
        if (schema.has("minimum")) {
          assertTrue(field.asLong() >= schema.get("minimum").asLong(), where);
        }
        if ("date-time".equals(schema.path("format").asText())) {
          Instant.parse(field.asText());
        }
      });
    }
  }
}
