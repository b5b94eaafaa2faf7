package io.ephemeral.cvmfs.dataplane.docs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every {@code format.md N.N} cited in the sources names a section that docs/format.md has, and
 * no citation points to a document outside the repository.
 */
class FormatCitationsTest {

  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  private static final Pattern CITATION = Pattern.compile("format\\.md (\\d+(?:\\.\\d+)?)");
  private static final Pattern OUTSIDE = Pattern.compile("\\bspec \\d+(?:\\.\\d+)?\\b");
  private static final Pattern HEADING = Pattern.compile("(?m)^#{2,3} (\\d+(?:\\.\\d+)?)\\.? ");

  @Test
  void everyCitationNamesASectionOfTheFormatPage() throws IOException {
    Set<String> sections = new TreeSet<>();
    Matcher headings = HEADING.matcher(Files.readString(ROOT.resolve("docs/format.md")));
    while (headings.find()) {
      sections.add(headings.group(1));
    }
    assertTrue(sections.containsAll(Set.of("1.1", "5.2", "7.9", "10.7", "13")), "sections found: " + sections);

    List<String> dangling = new ArrayList<>();
    List<String> outside = new ArrayList<>();
    int citations = 0;
    for (Path file : sources()) {
      String text = Files.readString(file, StandardCharsets.UTF_8);
      Matcher cited = CITATION.matcher(text);
      while (cited.find()) {
        citations++;
        if (!sections.contains(cited.group(1))) {
          dangling.add(ROOT.relativize(file) + ": " + cited.group());
        }
      }
      Matcher old = OUTSIDE.matcher(text);
      while (old.find()) {
        outside.add(ROOT.relativize(file) + ": " + old.group());
      }
    }
    assertTrue(citations > 20, "only " + citations + " citations found under " + ROOT);
    assertEquals(List.of(), dangling, "citations of sections docs/format.md does not have");
    assertEquals(List.of(), outside, "citations of a document that is not in the repository");
  }

  private static List<Path> sources() throws IOException {
    List<Path> files = new ArrayList<>();
    for (String folder : List.of("common/src", "data-plane/src", "operator/src", "compat", "e2e", "bench", "docs", "charts")) {
      Path start = ROOT.resolve(folder);
      if (!Files.isDirectory(start)) {
        continue;
      }
      try (Stream<Path> walk = Files.walk(start)) {
        walk.filter(Files::isRegularFile)
            .filter(f -> f.toString().matches(".*\\.(java|sh|md|yaml|c)$"))
            .filter(f -> !f.endsWith("FormatCitationsTest.java"))
            .forEach(files::add);
      }
    }
    files.add(ROOT.resolve("README.md"));
    return files;
  }
}
