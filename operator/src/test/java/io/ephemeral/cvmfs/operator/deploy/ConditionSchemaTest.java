package io.ephemeral.cvmfs.operator.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import io.ephemeral.cvmfs.operator.api.Condition;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * status.conditions of both CRDs, in every shipped copy, has the schema of metav1.Condition,
 * as controller-gen writes it for Kubernetes' own types: what kubectl wait, kstatus and
 * server-side apply expect of a condition list.
 */
class ConditionSchemaTest {

  static List<Path> crdCopies() {
    List<Path> files = new ArrayList<>();
    for (String copy : List.of("crds", "charts/cvmfs-ephemeral/crds", "config/crd/bases")) {
      for (String name : DeployFiles.CRD_FILES) {
        files.add(DeployFiles.project().resolve(copy).resolve(name));
      }
    }
    return files;
  }

  @ParameterizedTest
  @MethodSource("crdCopies")
  void conditionsAreAMapOfMetav1Conditions(Path file) {
    JsonNode list = DeployFiles.schemaOf(file).path("properties").path("status").path("properties").path("conditions");
    String where = DeployFiles.project().relativize(file) + ": status.conditions";
    assertEquals("array", list.path("type").asText(), where);
    assertEquals("map", list.path("x-kubernetes-list-type").asText(), where);
    assertEquals(List.of("type"), texts(list.path("x-kubernetes-list-map-keys")), where);

    JsonNode item = list.path("items");
    assertEquals("object", item.path("type").asText(), where);
    assertEquals(List.of("lastTransitionTime", "message", "reason", "status", "type"),
        texts(item.path("required")).stream().sorted().toList(), where + " required");
    JsonNode properties = item.path("properties");
    assertEquals(List.of("lastTransitionTime", "message", "observedGeneration", "reason", "status", "type"),
        fieldNames(properties), where + " properties");

    assertEquals(Map.of("type", "string", "maxLength", "316", "pattern",
            "^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$"),
        constraints(properties.path("type")), where + ".type");
    assertEquals(Map.of("type", "string", "enum", "[False, True, Unknown]"),
        constraints(properties.path("status")), where + ".status");
    assertEquals(Map.of("type", "integer", "format", "int64", "minimum", "0"),
        constraints(properties.path("observedGeneration")), where + ".observedGeneration");
    assertEquals(Map.of("type", "string", "format", "date-time"),
        constraints(properties.path("lastTransitionTime")), where + ".lastTransitionTime");
    assertEquals(Map.of("type", "string", "minLength", "1", "maxLength", "1024",
            "pattern", "^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$"),
        constraints(properties.path("reason")), where + ".reason");
    assertEquals(Map.of("type", "string", "maxLength", "32768"),
        constraints(properties.path("message")), where + ".message");
  }

  @ParameterizedTest
  @MethodSource("crdCopies")
  void theApiClassAndTheSchemaAgree(Path file) {
    JsonNode properties = DeployFiles.schemaOf(file).path("properties").path("status").path("properties")
        .path("conditions").path("items").path("properties");
    assertEquals(Condition.TYPE_PATTERN, properties.path("type").path("pattern").asText());
    assertEquals(Condition.REASON_PATTERN, properties.path("reason").path("pattern").asText());
    assertEquals(Condition.MAX_REASON, properties.path("reason").path("maxLength").asInt());
    assertEquals(Condition.MAX_MESSAGE, properties.path("message").path("maxLength").asInt());
  }

  private static List<String> texts(JsonNode array) {
    List<String> texts = new ArrayList<>();
    array.forEach(e -> texts.add(e.asText()));
    return texts;
  }

  private static List<String> fieldNames(JsonNode object) {
    List<String> names = new ArrayList<>();
    object.fieldNames().forEachRemaining(names::add);
    names.sort(null);
    return names;
  }

  /** A property's schema without its description; numbers as integers, an enum sorted. */
  private static Map<String, String> constraints(JsonNode property) {
    Map<String, String> constraints = new TreeMap<>();
    property.fields().forEachRemaining(e -> {
      JsonNode value = e.getValue();
      switch (e.getKey()) {
        case "description" -> { }
        case "enum" -> constraints.put("enum", texts(value).stream().sorted().toList().toString());
        default -> constraints.put(e.getKey(), value.isNumber() ? Long.toString(value.asLong()) : value.asText());
      }
    });
    return constraints;
  }
}
