package io.ephemeral.cvmfs.dataplane.server;

import io.ephemeral.cvmfs.dataplane.api.ApiRepositoryInfo;
import io.ephemeral.cvmfs.dataplane.api.ApiRoute;
import io.ephemeral.cvmfs.dataplane.http.HttpServer;
import io.ephemeral.cvmfs.dataplane.http.HttpServerConfig;
import io.ephemeral.cvmfs.dataplane.http.WriteAuthorizer;
import io.ephemeral.cvmfs.dataplane.maintenance.Housekeeper;
import io.ephemeral.cvmfs.dataplane.notify.NotificationHub;
import io.ephemeral.cvmfs.dataplane.notify.PublishRoute;
import io.ephemeral.cvmfs.dataplane.notify.RevisionAnnouncer;
import io.ephemeral.cvmfs.dataplane.notify.SubscribeRoute;
import io.ephemeral.cvmfs.dataplane.publish.ObjectPipeline;
import io.ephemeral.cvmfs.dataplane.publish.PublishService;
import io.ephemeral.cvmfs.dataplane.publish.Publisher;
import io.ephemeral.cvmfs.dataplane.repository.DataLayout;
import io.ephemeral.cvmfs.dataplane.repository.PublishToken;
import io.ephemeral.cvmfs.dataplane.repository.Repository;
import java.io.IOException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A running data plane: the repositories it opened, their publishers, the HTTP servers and the
 * housekeeping. {@link #close()} stops everything in reverse order.
 */
public final class DataPlane implements AutoCloseable {

  /** Requests that block on ingest at the same time; more get 503. */
  private static final int MAX_WORKERS = 256;

  private final DataPlaneConfig config;
  private final ObjectPipeline pipeline = ObjectPipeline.forThisMachine();
  private final Map<String, Publisher> publishers = new LinkedHashMap<>();
  private final NotificationHub hub = new NotificationHub();
  private final List<HttpServer> servers = new ArrayList<>();
  private ExecutorService workers;
  private Housekeeper housekeeper;
  private PublishService service;
  private int port;
  private int notificationPort = -1;
  private volatile String publicUrl;

  private DataPlane(DataPlaneConfig config) {
    this.config = config;
  }

  /** Opens (or creates) every repository and starts serving. */
  public static DataPlane start(DataPlaneConfig config) throws IOException {
    DataPlane dataPlane = new DataPlane(config);
    try {
      dataPlane.open();
      return dataPlane;
    } catch (IOException | RuntimeException e) {
      dataPlane.close();
      throw e;
    }
  }

  private void open() throws IOException {
    DataLayout layout = new DataLayout(config.dataDirectory().toAbsolutePath().normalize());
    Map<String, Repository> repositories = new LinkedHashMap<>();
    Map<String, PublishToken> tokens = new LinkedHashMap<>();
    for (String fqrn : config.repositories()) {
      Repository repository = Repository.at(layout, fqrn).creationOptions(config.creationOptions())
          .minRevision(config.minRevision()).open();
      Publisher publisher;
      try {
        publisher = Publisher.start(repository, pipeline);
      } catch (IOException | RuntimeException e) {
        repository.close();
        throw e;
      }
      publishers.put(fqrn, publisher);
      repositories.put(fqrn, repository);
      tokens.put(fqrn, token(layout, fqrn));
    }
    service = new PublishService(publishers, config.policy(), Clock.systemUTC());
    WriteAuthorizer authorizer = new WriteAuthorizer(tokens);
    RevisionAnnouncer announcer = new RevisionAnnouncer(hub, repositories.values(), Clock.systemUTC());
    publishers.values().forEach(publisher -> announcer.follow(publisher.committer()));
    workers = workers();
    ApiRepositoryInfo info = new ApiRepositoryInfo(service, Clock.systemUTC());
    HttpServer server = withNotificationApi(
        HttpServer.builder(HttpServerConfig.defaults().withAddress(config.bindAddress(), config.port())), authorizer, announcer)
        .repositories(new LocalRepositories(repositories, () -> publicUrl))
        .route(() -> new ApiRoute(service, authorizer, workers, info))
        .build();
    servers.add(server);
    port = server.start();
    publicUrl = config.publicUrl() != null ? stripSlash(config.publicUrl())
        : "http://" + (config.bindAddress().equals("0.0.0.0") ? "localhost" : config.bindAddress()) + ":" + port;
    if (config.notificationPort() >= 0) {
      HttpServer notifications = withNotificationApi(HttpServer.builder(
          HttpServerConfig.defaults().withAddress(config.bindAddress(), config.notificationPort())), authorizer, announcer).build();
      servers.add(notifications);
      notificationPort = notifications.start();
    }
    housekeeper = Housekeeper.start(service, config.housekeepingInterval());
  }

  /** The notification API (spec 10) under /api/v1/notifications/. */
  private HttpServer.Builder withNotificationApi(HttpServer.Builder builder, WriteAuthorizer authorizer,
      RevisionAnnouncer announcer) {
    return builder.route(() -> new SubscribeRoute(hub)).route(() -> new PublishRoute(authorizer, announcer));
  }

  private static String stripSlash(String url) {
    return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
  }

  private PublishToken token(DataLayout layout, String fqrn) throws IOException {
    if (config.token() != null) {
      return PublishToken.of(config.token());
    }
    if (config.tokenFile() != null) {
      return PublishToken.read(config.tokenFile());
    }
    return PublishToken.readOrGenerate(layout.keys().resolve(fqrn + ".token"));
  }

  private static ExecutorService workers() {
    AtomicInteger count = new AtomicInteger();
    return new ThreadPoolExecutor(0, MAX_WORKERS, 60, TimeUnit.SECONDS, new SynchronousQueue<>(), r -> {
      Thread thread = new Thread(r, "api-worker-" + count.incrementAndGet());
      thread.setDaemon(true);
      return thread;
    });
  }

  /** The bound HTTP port. */
  public int port() {
    return port;
  }

  /** The bound port of the notification-only server, or -1 when it is disabled. */
  public int notificationPort() {
    return notificationPort;
  }

  public String publicUrl() {
    return publicUrl;
  }

  public PublishService service() {
    return service;
  }

  public Publisher publisher(String fqrn) {
    return publishers.get(fqrn);
  }

  /** Stops in the order that lets clients fail over: no new connections, streams cut, then the rest. */
  @Override
  public void close() {
    servers.forEach(HttpServer::stopListening);
    hub.close();
    if (housekeeper != null) {
      housekeeper.close();
    }
    servers.forEach(HttpServer::close);
    if (workers != null) {
      workers.shutdownNow();
    }
    for (Publisher publisher : publishers.values()) {
      try {
        publisher.close();
      } catch (IOException e) {
        System.err.println("warning: while closing " + publisher.repository().fqrn() + ": " + e.getMessage());
      }
    }
    pipeline.close();
  }
}
