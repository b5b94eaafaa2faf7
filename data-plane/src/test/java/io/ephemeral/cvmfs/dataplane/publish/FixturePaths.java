package io.ephemeral.cvmfs.dataplane.publish;

import java.nio.file.Files;
import java.nio.file.Path;

/** Locates the shared reference fixture beside the project checkout. */
final class FixturePaths {

  private FixturePaths() {}

  static Path fixtureRepository() {
    return shared().resolve("fixtures/reference-repo/reference.example.org");
  }

  static Path shared() {
    String configured = System.getProperty("cvmfs.shared");
    if (configured != null && Files.isDirectory(Path.of(configured))) {
      return Path.of(configured);
    }
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      if (Files.isDirectory(dir.resolve("shared/fixtures"))) {
        return dir.resolve("shared");
      }
    }
    throw new IllegalStateException("shared/fixtures not found; set -Dcvmfs.shared");
  }
}
