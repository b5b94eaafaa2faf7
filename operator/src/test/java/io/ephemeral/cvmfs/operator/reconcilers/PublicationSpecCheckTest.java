package io.ephemeral.cvmfs.operator.reconcilers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ephemeral.cvmfs.operator.api.CvmfsPublicationSpec;
import io.ephemeral.cvmfs.operator.api.PublicationSource;
import java.util.Optional;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The checks the reconciler repeats for objects no schema validated, one row per rule. */
class PublicationSpecCheckTest {

  private static final PublicationSource URL = new PublicationSource(null, "https://example.org/a.tar", null, null, null, null);

  private static final PublicationSource IMAGE = image("registry.example.org:5000/team/app:1.0", "linux/arm64/v8",
      "registry-pull");

  private static PublicationSource image(String image, String platform, String pullSecret) {
    return new PublicationSource(null, null, null, image, platform, pullSecret);
  }

  static Stream<Arguments> specs() {
    String deepest = Stream.generate(() -> "d").limit(64).collect(Collectors.joining("/"));
    return Stream.of(
        Arguments.of(spec("builds", "pipelines/1", URL, null), null),
        Arguments.of(spec("demo.example.org", deepest, URL, "2h"), null),
        Arguments.of(spec("Builds", "a", URL, null), "repository must name"),
        Arguments.of(spec("a".repeat(254), "a", URL, null), "repository must name"),
        Arguments.of(spec("builds", "/a", URL, null), "is not a relative path"),
        Arguments.of(spec("builds", "a/../b", URL, null), "is not a relative path"),
        Arguments.of(spec("builds", deepest + "/e", URL, null), "64 names"),
        Arguments.of(spec("builds", "a/" + "b".repeat(256), URL, null), "at most 255 characters each"),
        Arguments.of(spec("builds", "a", new PublicationSource("up-1", "https://example.org/a", null, null, null, null), null),
            "exactly one of upload, url and image"),
        Arguments.of(spec("builds", "a", IMAGE, null), null),
        Arguments.of(spec("builds", "a", new PublicationSource(null, "https://example.org/a", null,
            "registry.example.org/team/app:1", null, null), null), "exactly one of upload, url and image"),
        Arguments.of(spec("builds", "a", image("Registry.example.org/Team/App", null, null), null),
            "source.image"),
        Arguments.of(spec("builds", "a", image("registry.example.org/app@sha256:12", null, null), null),
            "source.image"),
        Arguments.of(spec("builds", "a", image("registry.example.org/app", "amd64", null), null), "source.platform"),
        Arguments.of(spec("builds", "a", image("registry.example.org/app", null, "Bad_Secret"), null),
            "source.pullSecret"),
        Arguments.of(spec("builds", "a", new PublicationSource(null, "https://example.org/a", null, null, null,
            "pull"), null), "go with source.image"),
        Arguments.of(spec("builds", "a", new PublicationSource(null, "ftp://example.org/a", null, null, null, null), null),
            "http or https"),
        Arguments.of(spec("builds", "a", new PublicationSource("up-1", null, "ab", null, null, null), null), "source.sha256"),
        Arguments.of(spec("builds", "a", URL, "soon"), "is not a duration"),
        Arguments.of(tagged("release-1.2_rc"), null),
        Arguments.of(tagged("trunk"), "is not a tag name"),
        Arguments.of(tagged("-dash"), "is not a tag name"),
        Arguments.of(tagged("two words"), "is not a tag name"));
  }

  private static CvmfsPublicationSpec tagged(String tag) {
    return new CvmfsPublicationSpec("builds", "a", URL, null, null, null, tag);
  }

  private static CvmfsPublicationSpec spec(String repository, String path, PublicationSource source, String ttl) {
    return new CvmfsPublicationSpec(repository, path, source, null, ttl, null, null);
  }

  @ParameterizedTest(name = "{index}: {1}")
  @MethodSource("specs")
  void eachRuleHasItsMessage(CvmfsPublicationSpec spec, String expected) {
    Optional<String> problem = PublicationSpecCheck.problem(spec);
    if (expected == null) {
      assertEquals(Optional.empty(), problem);
    } else {
      assertTrue(problem.isPresent() && problem.get().contains(expected), () -> expected + " not in " + problem);
    }
  }
}
