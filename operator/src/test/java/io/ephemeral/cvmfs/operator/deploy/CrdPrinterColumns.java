package io.ephemeral.cvmfs.operator.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ephemeral.cvmfs.operator.api.CvmfsPublication;
import io.ephemeral.cvmfs.operator.api.CvmfsRepository;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Puts the printer columns of the generated CRDs in the order the API classes declare them.
 * The CRD generator sorts them by JSON path, which would put AGE first; kubectl shows them in
 * the CRD's order. The build runs this on the generated files before the tests compare them
 * with the checked-in copies.
 */
public final class CrdPrinterColumns {

  private CrdPrinterColumns() {
  }

  public static void main(String[] args) throws IOException {
    Path directory = Path.of(args[0]);
    for (Class<? extends CustomResource<?, ?>> type : List.of(CvmfsRepository.class, CvmfsPublication.class)) {
      Path file = directory.resolve(CustomResource.getCRDName(type) + "-v1.yml");
      Files.writeString(file, reorder(Files.readString(file), type));
    }
  }

  static String reorder(String yaml, Class<?> type) throws IOException {
    List<String> declared = new ArrayList<>();
    for (AdditionalPrinterColumn column : type.getAnnotationsByType(AdditionalPrinterColumn.class)) {
      declared.add(column.name());
    }
    JsonNode crd = Serialization.yamlMapper().readTree(yaml);
    for (JsonNode version : crd.path("spec").path("versions")) {
      ArrayNode columns = (ArrayNode) version.get("additionalPrinterColumns");
      List<JsonNode> sorted = new ArrayList<>();
      columns.forEach(sorted::add);
      sorted.sort((a, b) -> Integer.compare(position(declared, a), position(declared, b)));
      columns.removeAll();
      columns.addAll(sorted);
    }
    String header = yaml.startsWith("#") ? yaml.substring(0, yaml.indexOf('\n') + 1) : "";
    return header + Serialization.yamlMapper().writeValueAsString((ObjectNode) crd).replaceFirst("^---\n", "");
  }

  private static int position(List<String> declared, JsonNode column) {
    int index = declared.indexOf(column.path("name").asText());
    if (index < 0) {
      throw new IllegalStateException("printer column " + column + " is not declared on the API class");
    }
    return index;
  }
}
