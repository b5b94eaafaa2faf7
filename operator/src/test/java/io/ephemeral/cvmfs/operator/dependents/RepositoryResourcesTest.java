package io.ephemeral.cvmfs.operator.dependents;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

class RepositoryResourcesTest {

  /** What the API server demands of a Service's name. */
  private static final Pattern DNS_1035_LABEL = Pattern.compile("[a-z]([-a-z0-9]*[a-z0-9])?");

  /** The hashes are the first six hex digits of {@code printf %s NAME | sha256sum}. */
  @ParameterizedTest
  @CsvSource({
      "builds, builds",
      "demo.example.org, demo-example-org-cdb945",
      "1st, r-1st-e01ddf",
      "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx, xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx-316459",
  })
  void aShortLabelIsKeptAndAnythingElseGetsAHash(String name, String stem) {
    assertEquals(stem, RepositoryResources.stem(name));
  }

  static Stream<String> names() {
    return Stream.of("a", "demo.example.org", "1.2.3", "x".repeat(40), "x".repeat(41), "y".repeat(63),
        "builds.pipelines.example.org." + "a".repeat(200), "a--b.-c", "0".repeat(40) + "-9");
  }

  @ParameterizedTest
  @MethodSource("names")
  void everyDependentNameIsValidForItsKind(String name) {
    String stem = RepositoryResources.stem(name);
    assertTrue(DNS_1035_LABEL.matcher(stem).matches(), stem);
    assertTrue(stem.length() <= RepositoryResources.MAX_STEM, stem);
    // A CronJob's name has at most 52 characters: its Jobs append a timestamp.
    assertTrue((stem + "-maintenance").length() <= 52, stem);
  }

  @Test
  void namesThatReadAlikeGetDifferentStems() {
    assertNotEquals(RepositoryResources.stem("demo.example.org"), RepositoryResources.stem("demo-example-org"));
    assertNotEquals(RepositoryResources.stem("x".repeat(41)), RepositoryResources.stem("x".repeat(42)));
  }
}
