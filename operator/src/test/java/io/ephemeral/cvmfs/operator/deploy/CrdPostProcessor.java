package io.ephemeral.cvmfs.operator.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ephemeral.cvmfs.operator.api.Condition;
import io.ephemeral.cvmfs.operator.api.CvmfsPublication;
import io.ephemeral.cvmfs.operator.api.CvmfsRepository;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Finishes the CRDs the generator wrote, with what its annotations cannot say. The build runs
 * this on the generated files before the tests compare them with the checked-in copies.
 * <ul>
 *   <li>Printer columns in the order the API classes declare them: the generator sorts them by
 *       JSON path, which would put AGE first, and kubectl shows them in the CRD's order.
 *   <li>Condition lists as metav1.Condition lists are: a map keyed by type, so that server-side
 *       apply merges them by type, with lastTransitionTime a date-time and observedGeneration an
 *       int64.
 * </ul>
 */
public final class CrdPostProcessor {

  private CrdPostProcessor() {
  }

  public static void main(String[] args) throws IOException {
    Path directory = Path.of(args[0]);
    for (Class<? extends CustomResource<?, ?>> type : List.of(CvmfsRepository.class, CvmfsPublication.class)) {
      Path file = directory.resolve(CustomResource.getCRDName(type) + "-v1.yml");
      Files.writeString(file, process(Files.readString(file), type));
    }
  }

  static String process(String yaml, Class<? extends CustomResource<?, ?>> type) throws IOException {
    JsonNode crd = Serialization.yamlMapper().readTree(yaml);
    for (JsonNode version : crd.path("spec").path("versions")) {
      reorderPrinterColumns((ArrayNode) version.get("additionalPrinterColumns"), type);
      JsonNode status = version.path("schema").path("openAPIV3Schema").path("properties").path("status");
      for (String name : conditionLists(statusClass(type))) {
        JsonNode list = status.path("properties").path(name);
        if (!list.isObject()) {
          throw new IllegalStateException("the generated schema has no status." + name);
        }
        conditionList((ObjectNode) list);
      }
    }
    String header = yaml.startsWith("#") ? yaml.substring(0, yaml.indexOf('\n') + 1) : "";
    return header + Serialization.yamlMapper().writeValueAsString((ObjectNode) crd).replaceFirst("^---\n", "");
  }

  private static void reorderPrinterColumns(ArrayNode columns, Class<?> type) {
    List<String> declared = new ArrayList<>();
    for (AdditionalPrinterColumn column : type.getAnnotationsByType(AdditionalPrinterColumn.class)) {
      declared.add(column.name());
    }
    List<JsonNode> sorted = new ArrayList<>();
    columns.forEach(sorted::add);
    sorted.sort((a, b) -> Integer.compare(position(declared, a), position(declared, b)));
    columns.removeAll();
    columns.addAll(sorted);
  }

  private static int position(List<String> declared, JsonNode column) {
    int index = declared.indexOf(column.path("name").asText());
    if (index < 0) {
      throw new IllegalStateException("printer column " + column + " is not declared on the API class");
    }
    return index;
  }

  private static Class<?> statusClass(Class<?> type) {
    ParameterizedType resource = (ParameterizedType) type.getGenericSuperclass();
    return (Class<?>) resource.getActualTypeArguments()[1];
  }

  /** The status fields that hold a list of conditions. */
  static List<String> conditionLists(Class<?> status) {
    List<String> names = new ArrayList<>();
    for (RecordComponent component : status.getRecordComponents()) {
      Type generic = component.getGenericType();
      if (generic instanceof ParameterizedType list && list.getRawType() == List.class
          && list.getActualTypeArguments()[0] == Condition.class) {
        names.add(component.getName());
      }
    }
    return names;
  }

  private static void conditionList(ObjectNode list) {
    list.put("x-kubernetes-list-type", "map");
    list.putArray("x-kubernetes-list-map-keys").add("type");
    ObjectNode properties = (ObjectNode) list.path("items").path("properties");
    sortedPut((ObjectNode) properties.get("lastTransitionTime"), "format", "date-time");
    sortedPut((ObjectNode) properties.get("observedGeneration"), "format", "int64");
    sortFields(list);
  }

  private static void sortedPut(ObjectNode node, String field, String value) {
    node.put(field, value);
    sortFields(node);
  }

  /** The generator writes fields in alphabetical order; added ones follow it. */
  private static void sortFields(ObjectNode node) {
    Map<String, JsonNode> fields = new TreeMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> field = it.next();
      fields.put(field.getKey(), field.getValue());
    }
    node.removeAll();
    node.setAll(fields);
  }
}
