package io.ephemeral.cvmfs.dataplane.server;

import io.ephemeral.cvmfs.common.format.Pem;
import io.ephemeral.cvmfs.common.maintenance.InvalidWhitelistException;
import io.ephemeral.cvmfs.common.maintenance.WhitelistCheck;
import io.ephemeral.cvmfs.dataplane.Closing;
import io.ephemeral.cvmfs.dataplane.maintenance.GarbageCollector;
import io.ephemeral.cvmfs.dataplane.maintenance.MaintenanceSettings;
import io.ephemeral.cvmfs.dataplane.maintenance.WhitelistInstaller;
import io.ephemeral.cvmfs.dataplane.observability.Metrics;
import io.ephemeral.cvmfs.dataplane.publish.ObjectPipeline;
import io.ephemeral.cvmfs.dataplane.publish.Publisher;
import io.ephemeral.cvmfs.dataplane.repository.DataLayout;
import io.ephemeral.cvmfs.dataplane.repository.PublishToken;
import io.ephemeral.cvmfs.dataplane.repository.Repository;
import io.ephemeral.cvmfs.dataplane.storage.StorageBackend;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One repository this process serves, with what serving it takes: the publisher (which owns the
 * open {@link Repository}), its garbage collector, whitelist installer and publish token. It
 * opens as a unit, closing what it opened if a later step fails, and closes as a unit.
 */
final class ServedRepository implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(ServedRepository.class);

  private final Publisher publisher;
  private final GarbageCollector collector;
  private final WhitelistInstaller whitelist;
  private final PublishToken token;

  private ServedRepository(Publisher publisher, Duration gcGrace, PublishToken token) {
    this.publisher = publisher;
    this.collector = new GarbageCollector(publisher.repository(), gcGrace);
    this.whitelist = WhitelistInstaller.of(publisher.repository());
    this.token = token;
  }

  /** Opens (or creates) {@code fqrn} as {@code config} says and starts its publisher. */
  static ServedRepository open(DataPlaneConfig config, String fqrn, ObjectPipeline pipeline, StorageBackend storage)
      throws IOException {
    DataLayout layout = config.layout();
    installExternalWhitelist(config.maintenance(), layout, fqrn);
    Repository repository = Repository.at(layout, fqrn).creationOptions(config.creationOptions())
        .minRevision(config.minRevision()).storage(storage).open();
    Publisher publisher = Closing.onFailure(repository, () -> Publisher.start(repository, pipeline));
    return Closing.onFailure(publisher, () -> {
      Duration grace = config.maintenance().gcGrace() != null ? config.maintenance().gcGrace()
          : GarbageCollector.defaultGrace(repository.options().manifestTtl());
      return new ServedRepository(publisher, grace, token(config, layout, fqrn));
    });
  }

  /**
   * Serves the external whitelist before the repository opens, which then needs no master key:
   * it signs a whitelist itself only when none is served.
   */
  private static void installExternalWhitelist(MaintenanceSettings maintenance, DataLayout layout, String fqrn)
      throws IOException {
    Path external = maintenance.whitelistFileOf(fqrn);
    Path served = layout.served(fqrn).resolve(Repository.WHITELIST);
    if (external == null || Files.exists(served) || !Files.exists(external) || !Files.exists(layout.certificate(fqrn))) {
      return;
    }
    WhitelistCheck check = new WhitelistCheck(fqrn, Pem.readPublicKey(Files.readString(layout.masterPublicKey(fqrn))),
        Pem.readCertificate(Files.readString(layout.certificate(fqrn))));
    Files.createDirectories(served.getParent());
    try {
      new WhitelistInstaller(served, check).install(Files.readAllBytes(external));
    } catch (InvalidWhitelistException e) {
      LOG.warn("not serving the whitelist {}: {}", external, e.getMessage());
    }
  }

  private static PublishToken token(DataPlaneConfig config, DataLayout layout, String fqrn) throws IOException {
    if (config.token() != null) {
      return PublishToken.of(config.token());
    }
    if (config.tokenFile() != null) {
      return PublishToken.read(config.tokenFile());
    }
    return PublishToken.readOrGenerate(layout.keys().resolve(fqrn + ".token"));
  }

  /** Registers this repository's meters: publications, collections, whitelist expiry and revision. */
  void reportTo(Metrics metrics) {
    String fqrn = fqrn();
    metrics.watchPublisher(fqrn, publisher);
    metrics.watchCollector(fqrn, collector);
    metrics.watchWhitelist(fqrn, whitelist);
    metrics.watchRevision(fqrn, publisher.committer());
  }

  String fqrn() {
    return repository().fqrn();
  }

  Repository repository() {
    return publisher.repository();
  }

  Publisher publisher() {
    return publisher;
  }

  GarbageCollector collector() {
    return collector;
  }

  WhitelistInstaller whitelist() {
    return whitelist;
  }

  PublishToken token() {
    return token;
  }

  /** Stops the publisher, which closes the repository. */
  @Override
  public void close() throws IOException {
    publisher.close();
  }
}
