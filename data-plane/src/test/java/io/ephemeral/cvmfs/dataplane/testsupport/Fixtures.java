package io.ephemeral.cvmfs.dataplane.testsupport;

import io.ephemeral.cvmfs.common.format.KeyGenerator;
import io.ephemeral.cvmfs.common.format.Pem;
import java.io.IOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/** Locates the test fixtures (test resources of this module) and makes writable copies of them. */
public final class Fixtures {

  public static final String REFERENCE_FQRN = "reference.example.org";

  private static final String REFERENCE_DIR = "reference-repo";

  private static Path referenceRepo;
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
   * {@code reference-repo/}: holds {@code keys/} and the served tree {@code reference.example.org/}.
   * It is the test resource {@code data-plane/src/test/resources/reference-repo}, found through the
   * class path (its unfiltered copy under {@code target/test-classes}), so that no test reads outside
   * the repository.
   */
  public static synchronized Path referenceRepo() {
    if (referenceRepo == null) {
      String marker = "/" + REFERENCE_DIR + "/" + REFERENCE_FQRN + "/.cvmfspublished";
      URL url = Fixtures.class.getResource(marker);
      if (url == null) {
        throw new IllegalStateException("test resource " + marker + " is not on the class path"
            + " (data-plane/src/test/resources" + marker + ")");
      }
      if (!"file".equals(url.getProtocol())) {
        throw new IllegalStateException("test resource " + marker + " is not a plain file: " + url);
      }
      try {
        referenceRepo = Path.of(url.toURI()).getParent().getParent();
      } catch (URISyntaxException e) {
        throw new IllegalStateException("test resource " + marker + ": " + url, e);
      }
    }
    return referenceRepo;
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
