package io.ephemeral.cvmfs.dataplane.testsupport;

import io.ephemeral.cvmfs.dataplane.http.HttpServer;
import io.ephemeral.cvmfs.dataplane.http.HttpServerConfig;
import io.ephemeral.cvmfs.dataplane.http.MetaFile;
import io.ephemeral.cvmfs.dataplane.http.ServedRepositories;
import io.ephemeral.cvmfs.dataplane.http.WriteAuthorizer;
import io.ephemeral.cvmfs.dataplane.notify.NotificationHub;
import io.ephemeral.cvmfs.dataplane.notify.PublishRoute;
import io.ephemeral.cvmfs.dataplane.notify.RevisionAnnouncer;
import io.ephemeral.cvmfs.dataplane.notify.SubscribeRoute;
import io.ephemeral.cvmfs.dataplane.publish.ObjectPipeline;
import io.ephemeral.cvmfs.dataplane.publish.Publisher;
import io.ephemeral.cvmfs.dataplane.repository.DataLayout;
import io.ephemeral.cvmfs.dataplane.repository.PublishToken;
import io.ephemeral.cvmfs.dataplane.repository.Repository;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A repository that commits and announces its revisions, served on a loopback port with its
 * files and the notification API, as {@code serve} wires them. The server can be stopped and
 * started again on the same port, as a restart looks to subscribers.
 *
 * <pre>
 * try (NotifyingRepository repo = NotifyingRepository.open(dir, "repo.example.org")) {
 *   long revision = repo.commit();
 * }
 * </pre>
 */
public final class NotifyingRepository implements AutoCloseable {

  public static final String TOKEN = "test-token-0123456789";

  /** Closes idle connections after this long, so that tests see a stream outlive it. */
  public static final Duration IDLE_TIMEOUT = Duration.ofMillis(300);

  // Shared by all instances, so that a repository opened again never publishes a taken path.
  private static final AtomicInteger PUBLICATIONS = new AtomicInteger();

  private final Repository repository;
  private final ObjectPipeline pipeline;
  private final Publisher publisher;
  private final List<Runnable> beforeAnnouncing;
  private NotificationHub hub;
  private HttpServer server;
  private int port;

  private NotifyingRepository(Path data, String fqrn, List<Runnable> beforeAnnouncing, int port) throws IOException {
    this.beforeAnnouncing = beforeAnnouncing;
    pipeline = new ObjectPipeline(2, 16 << 20);
    repository = Repository.at(new DataLayout(data), fqrn).open();
    publisher = Publisher.start(repository, pipeline);
    beforeAnnouncing.forEach(listener -> publisher.committer().onRevision(head -> listener.run()));
    start(port);
  }

  public static NotifyingRepository open(Path data, String fqrn) throws IOException {
    return new NotifyingRepository(data, fqrn, List.of(), 0);
  }

  /** Opens the repository in {@code data}, created if need be, served on {@code port}: a writer (re)starting. */
  public static NotifyingRepository open(Path data, String fqrn, int port) throws IOException {
    return new NotifyingRepository(data, fqrn, List.of(), port);
  }

  /** Like {@link #open}, with {@code listener} called on each commit just before the announcement. */
  public static NotifyingRepository open(Path data, String fqrn, Runnable listener) throws IOException {
    return new NotifyingRepository(data, fqrn, List.of(listener), 0);
  }

  /** Starts the server with a fresh hub; port 0 picks a free one. */
  public synchronized void start(int wantedPort) throws IOException {
    hub = new NotificationHub();
    RevisionAnnouncer announcer = new RevisionAnnouncer(hub, List.of(repository), Clock.systemUTC());
    announcer.follow(publisher.committer());
    WriteAuthorizer authorizer = new WriteAuthorizer(Map.of(repository.fqrn(), PublishToken.of(TOKEN)));
    NotificationHub streams = hub;
    server = HttpServer.builder(new HttpServerConfig("127.0.0.1", wantedPort, Duration.ofSeconds(61),
            Duration.ofDays(3), 2, 2, IDLE_TIMEOUT, HttpServerConfig.DEFAULT_OBJECT_CACHE_BYTES))
        .repositories(new Served())
        .route(() -> new SubscribeRoute(streams))
        .route(() -> new PublishRoute(authorizer, announcer))
        .build();
    port = server.start(new InetSocketAddress("127.0.0.1", wantedPort));
  }

  /** Stops as {@code serve} does: no new connections, streams closed abruptly, then the threads. */
  public synchronized void stop() {
    server.stopListening();
    hub.close(Duration.ofMillis(20));
    server.close();
  }

  /** Commits a new revision (an empty publication) and returns its number. */
  public long commit() throws IOException {
    return publisher.publish("p" + PUBLICATIONS.incrementAndGet(), visitor -> { }, null, false).revision();
  }

  public Repository repository() {
    return repository;
  }

  public String fqrn() {
    return repository.fqrn();
  }

  public synchronized NotificationHub hub() {
    return hub;
  }

  public synchronized int port() {
    return port;
  }

  /** {@code http://127.0.0.1:PORT/api/v1}. */
  public URI notificationBase() {
    return URI.create("http://127.0.0.1:" + port() + "/api/v1");
  }

  public byte[] servedManifest() throws IOException {
    return Files.readAllBytes(repository.served().resolve(Repository.MANIFEST));
  }

  public Path masterPublicKey() {
    return repository.layout().masterPublicKey(repository.fqrn());
  }

  @Override
  public void close() throws IOException {
    stop();
    publisher.close();
    pipeline.close();
  }

  private final class Served implements ServedRepositories {
    @Override
    public Optional<Path> root(String fqrn) {
      return fqrn.equals(repository.fqrn()) ? Optional.of(repository.served()) : Optional.empty();
    }

    @Override
    public Optional<MetaFile> meta(String fqrn, String name) {
      return Optional.empty();
    }
  }
}
