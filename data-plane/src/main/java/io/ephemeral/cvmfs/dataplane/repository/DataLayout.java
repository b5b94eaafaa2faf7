package io.ephemeral.cvmfs.dataplane.repository;

import java.nio.file.Path;

/**
 * Where things live under the data directory: {@code keys/} with the key files under the names
 * cvmfs_server uses, {@code <fqrn>/} exactly as a stratum 0 web server serves it, and {@code
 * state/<fqrn>/} with the data plane's own bookkeeping, outside the served tree.
 */
public record DataLayout(Path dataDirectory) {

  public Path keys() {
    return dataDirectory.resolve("keys");
  }

  public Path served(String fqrn) {
    return dataDirectory.resolve(fqrn);
  }

  public Path state(String fqrn) {
    return dataDirectory.resolve("state").resolve(fqrn);
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
