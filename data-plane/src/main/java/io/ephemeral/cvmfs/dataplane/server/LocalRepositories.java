package io.ephemeral.cvmfs.dataplane.server;

import io.ephemeral.cvmfs.dataplane.http.MetaFile;
import io.ephemeral.cvmfs.dataplane.http.ServedRepositories;
import io.ephemeral.cvmfs.dataplane.repository.ClientConfiguration;
import io.ephemeral.cvmfs.dataplane.repository.Repository;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/** The repositories this process has open, as the HTTP server sees them. */
public final class LocalRepositories implements ServedRepositories {

  private static final String PEM = "application/x-pem-file";

  private final Map<String, Repository> repositories;
  private final Supplier<String> publicUrl;

  /** {@code publicUrl} is asked when a configuration is rendered: the port may be known only after binding. */
  public LocalRepositories(Map<String, Repository> repositories, Supplier<String> publicUrl) {
    this.repositories = Map.copyOf(repositories);
    this.publicUrl = publicUrl;
  }

  @Override
  public Optional<Path> root(String fqrn) {
    return Optional.ofNullable(repositories.get(fqrn)).map(Repository::served);
  }

  @Override
  public Optional<MetaFile> meta(String fqrn, String name) {
    Repository repository = repositories.get(fqrn);
    if (repository == null) {
      return Optional.empty();
    }
    if (name.equals(fqrn + ".pub")) {
      return Optional.of(new MetaFile(read(repository.layout().masterPublicKey(fqrn)), PEM));
    }
    if (name.equals(fqrn + ".crt")) {
      return Optional.of(new MetaFile(read(repository.layout().certificate(fqrn)), PEM));
    }
    if (name.equals(fqrn + ".conf")) {
      String base = publicUrl.get();
      String conf = new ClientConfiguration(fqrn, base, "/etc/cvmfs/keys", base + "/api/v1").render();
      return Optional.of(new MetaFile(conf.getBytes(StandardCharsets.US_ASCII), "text/plain; charset=us-ascii"));
    }
    return Optional.empty();
  }

  private static byte[] read(Path file) {
    try {
      return Files.readAllBytes(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
