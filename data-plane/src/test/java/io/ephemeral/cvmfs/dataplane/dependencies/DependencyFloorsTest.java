package io.ephemeral.cvmfs.dataplane.dependencies;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * No library ships below the version that fixed an advisory that matters here. The feeds of
 * advisory scanners are out of reach offline, so the floors are recorded with their reasons in
 * dependency-floors.txt, and the versions checked are those of the jars on the class path, as
 * Maven resolved them.
 */
class DependencyFloorsTest {

  record Floor(String group, String artifact, String version, String reason) {
  }

  static List<Floor> floors() throws IOException {
    List<Floor> floors = new ArrayList<>();
    try (InputStream in = DependencyFloorsTest.class.getResourceAsStream("/dependency-floors.txt")) {
      assertNotNull(in, "dependency-floors.txt is missing");
      for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
        if (line.isBlank() || line.startsWith("#")) {
          continue;
        }
        String[] fields = line.trim().split("\\s+", 3);
        String[] coordinates = fields[0].split(":");
        floors.add(new Floor(coordinates[0], coordinates[1], fields[1], fields[2]));
      }
    }
    return floors;
  }

  /**
   * The version of the jar on the class path: from the pom.properties Maven puts into most jars,
   * else from where the jar lies in the local repository (.../GROUP/ARTIFACT/VERSION/ARTIFACT-VERSION.jar).
   */
  static String resolvedVersion(String group, String artifact) throws IOException {
    String resource = "/META-INF/maven/" + group + "/" + artifact + "/pom.properties";
    try (InputStream in = DependencyFloorsTest.class.getResourceAsStream(resource)) {
      if (in != null) {
        Properties properties = new Properties();
        properties.load(in);
        return properties.getProperty("version");
      }
    }
    Pattern path = Pattern.compile("/" + Pattern.quote(group.replace('.', '/') + "/" + artifact) + "/([^/]+)/"
        + Pattern.quote(artifact) + "-\\1\\.jar!/");
    Enumeration<URL> manifests = DependencyFloorsTest.class.getClassLoader().getResources("META-INF/MANIFEST.MF");
    while (manifests.hasMoreElements()) {
      Matcher matcher = path.matcher(manifests.nextElement().toString());
      if (matcher.find()) {
        return matcher.group(1);
      }
    }
    return null;
  }

  /** Compares dotted versions number by number; a qualifier such as Final or -28 counts as its digits. */
  static int compare(String a, String b) {
    String[] left = a.split("[.\\-]");
    String[] right = b.split("[.\\-]");
    for (int i = 0; i < Math.max(left.length, right.length); i++) {
      long x = i < left.length ? number(left[i]) : 0;
      long y = i < right.length ? number(right[i]) : 0;
      if (x != y) {
        return Long.compare(x, y);
      }
    }
    return 0;
  }

  private static long number(String part) {
    String digits = part.replaceAll("\\D", "");
    return digits.isEmpty() ? 0 : Long.parseLong(digits);
  }

  @Test
  void versionsCompareNumberByNumber() {
    assertTrue(compare("4.1.137.Final", "4.1.132.Final") > 0);
    assertTrue(compare("4.1.118.Final", "4.1.132.Final") < 0);
    assertTrue(compare("1.5.7-28", "1.5.6-10") > 0);
    assertTrue(compare("3.51.1.0", "3.41.2.2") > 0);
    assertEquals(0, compare("1.78", "1.78.0"));
  }

  @Test
  void noLibraryIsBelowItsFloor() throws IOException {
    List<String> below = new ArrayList<>();
    for (Floor floor : floors()) {
      String version = resolvedVersion(floor.group(), floor.artifact());
      assertNotNull(version, floor.group() + ":" + floor.artifact() + " is not on the class path: drop its floor");
      if (compare(version, floor.version()) < 0) {
        below.add(floor.group() + ":" + floor.artifact() + " " + version + " < " + floor.version() + ": " + floor.reason());
      }
    }
    assertTrue(below.isEmpty(), () -> "below their floors: " + below);
  }
}
