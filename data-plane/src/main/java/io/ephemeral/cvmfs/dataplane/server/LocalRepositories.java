package io.ephemeral.cvmfs.dataplane.server;

import io.ephemeral.cvmfs.common.repository.ClientConfiguration;
import io.ephemeral.cvmfs.dataplane.http.MetaFile;
import io.ephemeral.cvmfs.dataplane.http.RemoteObjects;
import io.ephemeral.cvmfs.dataplane.http.ServedRepositories;
import io.ephemeral.cvmfs.dataplane.repository.DataLayout;
import io.ephemeral.cvmfs.dataplane.repository.Repository;
import io.ephemeral.cvmfs.dataplane.storage.ObjectStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/** The repositories this process has open, as the HTTP server sees them. */
public final class LocalRepositories implements ServedRepositories {

  private static final String PEM = "application/x-pem-file";

  private final Map<String, Content> repositories;
  private final Supplier<String> publicUrl;
  private final boolean requestHostFirst;

  /** {@code publicUrl} is asked when a configuration is rendered: the port may be known only after binding. */
  public LocalRepositories(Map<String, Repository> repositories, Supplier<String> publicUrl) {
    this(repositories, publicUrl, false);
  }

  /**
   * With {@code requestHostFirst}, a configuration names this server as the request reached it
   * (its validated {@code Host}, see {@link io.ephemeral.cvmfs.dataplane.http.RequestHost}), and
   * {@code publicUrl} only when the request gives no usable host: without a configured public URL,
   * a client fetching it from another machine then gets one that works there.
   */
  public LocalRepositories(Map<String, Repository> repositories, Supplier<String> publicUrl, boolean requestHostFirst) {
    this(repositories.values().stream().map(Content::of).toList(), publicUrl, requestHostFirst);
  }

  /** Serves {@code repositories}, whether this process writes them or follows them. */
  LocalRepositories(Collection<Content> repositories, Supplier<String> publicUrl, boolean requestHostFirst) {
    this.repositories = repositories.stream().collect(Collectors.toUnmodifiableMap(Content::fqrn, Function.identity()));
    this.publicUrl = publicUrl;
    this.requestHostFirst = requestHostFirst;
  }

  /** What serving one repository takes: its working directory's served files, its objects, its key files. */
  record Content(String fqrn, Path served, ObjectStore objects, DataLayout layout) {
    static Content of(Repository repository) {
      return new Content(repository.fqrn(), repository.served(), repository.objects(), repository.layout());
    }
  }

  @Override
  public Optional<Path> root(String fqrn) {
    return Optional.ofNullable(repositories.get(fqrn)).map(Content::served);
  }

  @Override
  public Optional<RemoteObjects> remoteObjects(String fqrn) {
    Content repository = repositories.get(fqrn);
    if (repository == null || repository.objects().keptOnDisk()) {
      return Optional.empty();
    }
    ObjectStore objects = repository.objects();
    return Optional.of(name -> objects.read(name).map(read -> new RemoteObjects.Opened(read.size(), read.content())));
  }

  @Override
  public Optional<MetaFile> meta(String fqrn, String name) {
    return meta(fqrn, name, null);
  }

  @Override
  public Optional<MetaFile> meta(String fqrn, String name, String requestBaseUrl) {
    Content repository = repositories.get(fqrn);
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
      String base = requestHostFirst && requestBaseUrl != null ? requestBaseUrl : publicUrl.get();
      String conf = new ClientConfiguration(fqrn, ClientConfiguration.stratumZeroUrl(base), "/etc/cvmfs/keys",
          base + "/api/v1").render();
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
