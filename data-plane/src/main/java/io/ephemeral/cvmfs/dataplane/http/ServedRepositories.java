package io.ephemeral.cvmfs.dataplane.http;

import java.nio.file.Path;
import java.util.Optional;

/**
 * The repositories the HTTP server may serve, provided by the rest of the data plane.
 *
 * <p>Both methods are called for every matching request, concurrently, on the server's file
 * threads: they may block briefly (for example to read a key file) but should be cheap.
 */
public interface ServedRepositories {

  /**
   * The served directory of {@code fqrn}: the one holding {@code .cvmfspublished} and
   * {@code data/}. Empty when the repository is not served.
   */
  Optional<Path> root(String fqrn);

  /**
   * A file under {@code /cvmfs-meta/}: {@code name} is {@code <fqrn>.pub}, {@code <fqrn>.crt} or
   * {@code <fqrn>.conf}. Empty when there is no such file.
   */
  Optional<MetaFile> meta(String fqrn, String name);
}
