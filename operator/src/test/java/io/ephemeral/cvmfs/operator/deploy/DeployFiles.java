package io.ephemeral.cvmfs.operator.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.PolicyRuleBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/** What the deployment tests share: where the project is, parsing manifests, and the RBAC contract. */
final class DeployFiles {

  static final String GROUP = "cvmfs.ephemeral.io";
  static final List<String> CRD_FILES = List.of(
      "cvmfsrepositories.cvmfs.ephemeral.io-v1.yml",
      "cvmfspublications.cvmfs.ephemeral.io-v1.yml");

  static final String OPERATOR = "cvmfs-ephemeral-operator";
  static final String SYSTEM_NAMESPACE = "cvmfs-ephemeral-system";
  static final String OPERATOR_IMAGE = "ghcr.io/cvmfs-ephemeral/operator:0.1.0";
  static final String DATA_PLANE_IMAGE = "ghcr.io/cvmfs-ephemeral/data-plane:0.1.0";

  /** Owned kinds are never deleted by the operator: their ownerReferences take them with the owner. */
  private static final List<String> OWNED = List.of("get", "list", "watch", "create", "update", "patch");
  /** Kinds that come and go with the spec, which the operator deletes when it no longer asks for them. */
  private static final List<String> CONDITIONAL = List.of("get", "list", "watch", "create", "update", "patch", "delete");

  /** The operator's permissions, rule by rule; the chart and config/rbac must grant exactly these. */
  static final List<PolicyRule> OPERATOR_RULES = List.of(
      rule(GROUP, List.of("cvmfsrepositories", "cvmfspublications"), List.of("get", "list", "watch", "patch", "update")),
      rule(GROUP, List.of("cvmfsrepositories/status", "cvmfspublications/status"), List.of("get", "patch", "update")),
      rule(GROUP, List.of("cvmfsrepositories/finalizers", "cvmfspublications/finalizers"), List.of("update")),
      rule("", List.of("secrets", "configmaps", "services", "serviceaccounts"), OWNED),
      rule("", List.of("persistentvolumeclaims"), CONDITIONAL),
      rule("apps", List.of("deployments"), OWNED),
      rule("batch", List.of("cronjobs"), OWNED),
      rule("policy", List.of("poddisruptionbudgets"), CONDITIONAL),
      rule("rbac.authorization.k8s.io", List.of("roles", "rolebindings"), OWNED),
      rule("", List.of("events"), List.of("create")));

  private DeployFiles() {
  }

  private static PolicyRule rule(String group, List<String> resources, List<String> verbs) {
    return new PolicyRuleBuilder().withApiGroups(group).withResources(resources).withVerbs(verbs).build();
  }

  /** The repository's root, passed in by Surefire. */
  static Path project() {
    String dir = System.getProperty("cvmfs.project");
    assertNotNull(dir, "system property cvmfs.project (the repository root) is not set; run the tests through Maven");
    Path root = Path.of(dir).toAbsolutePath().normalize();
    assertTrue(Files.isDirectory(root.resolve("operator")), "cvmfs.project does not name the repository root: " + root);
    return root;
  }

  static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Every document of a multi-document YAML stream, typed where fabric8 knows the kind. */
  static List<HasMetadata> parse(String yaml) {
    Object parsed = Serialization.unmarshal(yaml);
    List<HasMetadata> objects = new ArrayList<>();
    if (parsed instanceof List<?> list) {
      list.stream().filter(o -> o != null).forEach(o -> objects.add((HasMetadata) o));
    } else if (parsed != null) {
      objects.add((HasMetadata) parsed);
    }
    return objects;
  }

  static JsonNode tree(String yaml) {
    try {
      return Serialization.yamlMapper().readTree(yaml);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static JsonNode tree(Object object) {
    return Serialization.jsonMapper().valueToTree(object);
  }

  static List<HasMetadata> ofKind(List<HasMetadata> objects, String kind) {
    return objects.stream().filter(o -> kind.equals(o.getKind())).collect(Collectors.toList());
  }

  /** The single object of that kind and name. */
  static <T extends HasMetadata> T one(List<HasMetadata> objects, Class<T> type, String name) {
    List<HasMetadata> matches = objects.stream()
        .filter(o -> type.isInstance(o) && name.equals(o.getMetadata().getName()))
        .collect(Collectors.toList());
    assertEquals(1, matches.size(), () -> "expected one " + type.getSimpleName() + " " + name + ", found "
        + matches.size() + " among " + describe(objects));
    return type.cast(matches.get(0));
  }

  static List<String> describe(List<HasMetadata> objects) {
    return objects.stream().map(o -> o.getKind() + "/" + o.getMetadata().getName()).sorted().collect(Collectors.toList());
  }

  /** Rules with their lists sorted, so that only the permissions count and not how they are listed. */
  static Set<List<List<String>>> normalized(List<PolicyRule> rules) {
    Set<List<List<String>>> set = rules.stream()
        .map(r -> List.of(sorted(r.getApiGroups()), sorted(r.getResources()), sorted(r.getVerbs()),
            sorted(r.getResourceNames()), sorted(r.getNonResourceURLs())))
        .collect(Collectors.toSet());
    assertEquals(rules.size(), set.size(), "a rule is listed twice: " + rules);
    return set;
  }

  private static List<String> sorted(List<String> list) {
    return list == null ? List.of() : list.stream().sorted().collect(Collectors.toList());
  }

  static void assertOperatorRules(List<PolicyRule> rules, String where) {
    for (PolicyRule rule : rules) {
      for (List<String> list : List.of(rule.getApiGroups(), rule.getResources(), rule.getVerbs())) {
        assertTrue(!list.contains("*"), where + " grants a wildcard: " + rule);
      }
    }
    assertEquals(normalized(OPERATOR_RULES), normalized(rules), where + " must grant exactly the operator's rules");
  }

  /**
   * Checks a custom resource's spec against the structural schema of its CRD: no field the
   * schema does not know, required fields present, enums and patterns honoured. Catches a
   * sample that drifted from the API.
   */
  static void assertConforms(JsonNode value, JsonNode schema, String where) {
    String type = schema.path("type").asText("");
    if (schema.has("enum")) {
      List<String> allowed = new ArrayList<>();
      schema.get("enum").forEach(e -> allowed.add(e.asText()));
      assertTrue(allowed.contains(value.asText()), where + ": " + value + " is none of " + allowed);
    }
    switch (type) {
      case "object" -> {
        assertTrue(value.isObject(), where + " must be an object: " + value);
        JsonNode properties = schema.path("properties");
        if (schema.path("x-kubernetes-preserve-unknown-fields").asBoolean(false)) {
          return;
        }
        schema.path("required").forEach(r -> assertTrue(value.has(r.asText()), where + "." + r.asText() + " is required"));
        Iterator<Map.Entry<String, JsonNode>> fields = value.fields();
        while (fields.hasNext()) {
          Map.Entry<String, JsonNode> field = fields.next();
          String path = where + "." + field.getKey();
          if (properties.has(field.getKey())) {
            assertConforms(field.getValue(), properties.get(field.getKey()), path);
          } else if (schema.has("additionalProperties")) {
            assertConforms(field.getValue(), schema.get("additionalProperties"), path);
          } else {
            fail(path + " is not in the CRD's schema");
          }
        }
      }
      case "array" -> {
        assertTrue(value.isArray(), where + " must be a list: " + value);
        for (int i = 0; i < value.size(); i++) {
          assertConforms(value.get(i), schema.path("items"), where + "[" + i + "]");
        }
      }
      case "string" -> {
        assertTrue(value.isTextual(), where + " must be a string: " + value);
        if (schema.has("pattern")) {
          // The schema's patterns are RE2; those used here mean the same in java.util.regex.
          assertTrue(Pattern.compile(schema.get("pattern").asText()).matcher(value.asText()).find(),
              where + ": " + value + " does not match " + schema.get("pattern").asText());
        }
      }
      case "integer" -> assertTrue(value.isIntegralNumber(), where + " must be an integer: " + value);
      case "boolean" -> assertTrue(value.isBoolean(), where + " must be true or false: " + value);
      default -> {
        // int-or-string quantities and the like: nothing to check here.
      }
    }
  }

  /** The schema of the served version of a CRD file. */
  static JsonNode schemaOf(Path crdFile) {
    JsonNode crd = tree(read(crdFile));
    JsonNode version = crd.path("spec").path("versions").get(0);
    return version.path("schema").path("openAPIV3Schema");
  }

  static ObjectNode withoutLabels(JsonNode object) {
    ObjectNode copy = object.deepCopy();
    ((ObjectNode) copy.get("metadata")).remove("labels");
    return copy;
  }
}
