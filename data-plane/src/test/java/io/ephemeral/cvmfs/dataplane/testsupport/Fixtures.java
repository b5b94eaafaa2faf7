package io.ephemeral.cvmfs.dataplane.testsupport;

import io.ephemeral.cvmfs.dataplane.format.KeyGenerator;
import io.ephemeral.cvmfs.dataplane.format.Pem;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.stream.Stream;

/** Locates the shared test fixtures and makes writable copies of them. */
public final class Fixtures {

  public static final String REFERENCE_FQRN = "reference.example.org";

  private static final Path REFERENCE_RELATIVE = Paths.get("fixtures", "reference-repo");

  private static Path foreignMasterKey;

  private Fixtures() {}

  /**
   * A {@code .pub} file with a freshly generated RSA key that signed nothing; generated once per
   * test run because RSA key generation is slow.
   */
  public static synchronized Path foreignMasterKey() throws IOException {
    if (foreignMasterKey == null) {
      Path file = Files.createTempFile("foreign-master-", ".pub");
      file.toFile().deleteOnExit();
      foreignMasterKey = Files.writeString(file, Pem.publicKey(KeyGenerator.rsaKeyPair().getPublic()));
    }
    return foreignMasterKey;
  }

  /**
   * The shared folder: system property {@code cvmfs.shared} (set by the surefire configuration),
   * else the first {@code shared} folder holding the fixtures found walking up from the working
   * directory.
   */
  public static Path shared() {
    String configured = System.getProperty("cvmfs.shared");
    if (configured != null && Files.isDirectory(Paths.get(configured).resolve(REFERENCE_RELATIVE))) {
      return Paths.get(configured).toAbsolutePath().normalize();
    }
    for (Path dir = Paths.get("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      Path candidate = dir.resolve("shared");
      if (Files.isDirectory(candidate.resolve(REFERENCE_RELATIVE))) {
        return candidate;
      }
    }
    throw new IllegalStateException("cannot find shared/fixtures/reference-repo (set -Dcvmfs.shared=...)");
  }

  /** {@code reference-repo/}: holds {@code keys/} and the served tree {@code reference.example.org/}. */
  public static Path referenceRepo() {
    return shared().resolve(REFERENCE_RELATIVE);
  }

  /** The served tree of the reference repository (read-only). */
  public static Path referenceTree() {
    return referenceRepo().resolve(REFERENCE_FQRN);
  }

  public static Path referenceMasterKey() {
    return referenceRepo().resolve("keys").resolve(REFERENCE_FQRN + ".pub");
  }

  /** Copies a tree to {@code target} (created), leaving every copy writable by its owner. */
  public static Path copyTree(Path source, Path target) throws IOException {
    try (Stream<Path> paths = Files.walk(source)) {
      for (Path path : (Iterable<Path>) paths::iterator) {
        Path copy = target.resolve(source.relativize(path).toString());
        if (Files.isDirectory(path)) {
          Files.createDirectories(copy);
        } else {
          Files.copy(path, copy);
        }
        copy.toFile().setWritable(true, true);
      }
    }
    return target;
  }
}
