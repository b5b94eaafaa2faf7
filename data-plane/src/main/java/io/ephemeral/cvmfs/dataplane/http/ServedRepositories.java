package io.ephemeral.cvmfs.dataplane.http;

import java.nio.file.Path;
import java.util.Optional;

/**
 * The repositories the HTTP server may serve, provided by the rest of the data plane.
 *
 * <p>The methods are called for every matching request, concurrently, on the server's file
 * threads: they may block briefly (for example to read a key file) but should be cheap.
 */
public interface ServedRepositories {

  /**
   * The served directory of {@code fqrn}: the one holding {@code .cvmfspublished} and
   * {@code data/}. Empty when the repository is not served.
   */
  Optional<Path> root(String fqrn);

  /**
   * Where the objects of {@code fqrn} are when they are not files under {@link #root}: in object
   * storage. Empty for a repository kept on this machine's disk.
   */
  default Optional<RemoteObjects> remoteObjects(String fqrn) {
    return Optional.empty();
  }

  /**
   * A file under {@code /cvmfs-meta/}: {@code name} is {@code <fqrn>.pub}, {@code <fqrn>.crt} or
   * {@code <fqrn>.conf}. Empty when there is no such file.
   */
  Optional<MetaFile> meta(String fqrn, String name);

  /**
   * {@link #meta(String, String)} for a request that reached this server at {@code requestBaseUrl}
   * ({@code http://host[:port]}, see {@link RequestHost}): files that point back to the server,
   * like a client configuration, may point to where the client found it.
   */
  default Optional<MetaFile> meta(String fqrn, String name, String requestBaseUrl) {
    return meta(fqrn, name);
  }
}
