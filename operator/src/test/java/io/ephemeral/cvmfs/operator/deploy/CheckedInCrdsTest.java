package io.ephemeral.cvmfs.operator.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The CRDs are generated from the API classes at build time, but users install the copies
 * checked in under crds/, the chart and config/: those must be exactly what the build makes.
 */
class CheckedInCrdsTest {

  private static final String FIX = "run operator/update-crds.sh";
  private static final List<String> COPIES = List.of("crds", "charts/cvmfs-ephemeral/crds", "config/crd/bases");

  /** Where crd-generator-maven-plugin wrote the CRDs of this build. */
  private static Path generatedDirectory() throws URISyntaxException {
    URL url = CheckedInCrdsTest.class.getClassLoader().getResource("META-INF/fabric8/" + DeployFiles.CRD_FILES.get(0));
    assertNotNull(url, "no generated CRD on the class path: crd-generator-maven-plugin did not run at process-classes");
    return Path.of(url.toURI()).getParent();
  }

  private static List<String> crdFiles(Path directory) throws IOException {
    if (!Files.isDirectory(directory)) {
      return List.of();
    }
    try (Stream<Path> files = Files.list(directory)) {
      return files.map(f -> f.getFileName().toString())
          .filter(n -> n.endsWith("." + DeployFiles.GROUP + "-v1.yml"))
          .sorted()
          .collect(Collectors.toList());
    }
  }

  @Test
  void theBuildGeneratesBothCrds() throws Exception {
    assertEquals(DeployFiles.CRD_FILES.stream().sorted().collect(Collectors.toList()), crdFiles(generatedDirectory()));
  }

  @Test
  void everyCheckedInCopyEqualsTheGeneratedCrd() throws Exception {
    Path generated = generatedDirectory();
    List<String> names = crdFiles(generated);
    Path project = DeployFiles.project();
    for (String copy : COPIES) {
      Path directory = project.resolve(copy);
      assertEquals(names, crdFiles(directory),
          copy + "/ does not hold exactly the generated CRDs " + names + ": " + FIX);
      for (String name : names) {
        String expected = DeployFiles.read(generated.resolve(name));
        String actual = DeployFiles.read(directory.resolve(name));
        assertTrue(expected.equals(actual),
            copy + "/" + name + " differs from the CRD generated from the API classes: " + FIX);
      }
    }
  }

  @Test
  void kustomizeListsEveryCrd() throws Exception {
    String kustomization = DeployFiles.read(DeployFiles.project().resolve("config/crd/kustomization.yaml"));
    List<String> resources = new ArrayList<>();
    DeployFiles.tree(kustomization).path("resources").forEach(r -> resources.add(r.asText()));
    Collections.sort(resources);
    List<String> expected = crdFiles(generatedDirectory()).stream().map(n -> "bases/" + n).collect(Collectors.toList());
    assertEquals(expected, resources, "config/crd/kustomization.yaml must list every CRD under bases/: " + FIX);
  }
}
