package io.ephemeral.cvmfs.dataplane.repository;

import java.nio.file.Path;

/**
 * Where things live: the key files under the names cvmfs_server uses (by default in {@code
 * keys/} under the data directory, in Kubernetes a mounted Secret), and under the data
 * directory {@code <fqrn>/} exactly as a stratum 0 web server serves it and {@code
 * state/<fqrn>/} with the data plane's own bookkeeping, outside the served tree.
 */
public record DataLayout(Path dataDirectory, Path keys) {

  /** The default layout: keys in {@code keys/} under the data directory. */
  public DataLayout(Path dataDirectory) {
    this(dataDirectory, dataDirectory.resolve("keys"));
  }

  /** A layout whose keys live in {@code keys}, or in the default place when it is {@code null}. */
  public static DataLayout of(Path dataDirectory, Path keys) {
    Path data = dataDirectory.toAbsolutePath().normalize();
    return keys == null ? new DataLayout(data) : new DataLayout(data, keys.toAbsolutePath().normalize());
  }

  public Path served(String fqrn) {
    return dataDirectory.resolve(fqrn);
  }

  public Path state(String fqrn) {
    return dataDirectory.resolve("state").resolve(fqrn);
  }

  /** Scratch space ({@code state/<fqrn>/tmp}), emptied at every start. */
  public Path scratch(String fqrn) {
    return state(fqrn).resolve("tmp");
  }

  /** Staged uploads waiting to be claimed ({@code state/<fqrn>/uploads}). */
  public Path uploads(String fqrn) {
    return state(fqrn).resolve("uploads");
  }

  public Path masterKey(String fqrn) {
    return keys().resolve(fqrn + ".masterkey");
  }

  public Path masterPublicKey(String fqrn) {
    return keys().resolve(fqrn + ".pub");
  }

  public Path repositoryKey(String fqrn) {
    return keys().resolve(fqrn + ".key");
  }

  public Path certificate(String fqrn) {
    return keys().resolve(fqrn + ".crt");
  }
}
