package io.ephemeral.cvmfs.dataplane.server;

import io.ephemeral.cvmfs.dataplane.api.ApiRepositoryInfo;
import io.ephemeral.cvmfs.dataplane.api.ApiRoute;
import io.ephemeral.cvmfs.dataplane.api.LegacyApiRoute;
import io.ephemeral.cvmfs.dataplane.http.CompletedRequest;
import io.ephemeral.cvmfs.dataplane.http.HttpServer;
import io.ephemeral.cvmfs.dataplane.http.HttpServerConfig;
import io.ephemeral.cvmfs.dataplane.http.InFlightRequests;
import io.ephemeral.cvmfs.dataplane.http.WriteAuthorizer;
import io.ephemeral.cvmfs.dataplane.api.MaintenanceRoute;
import io.ephemeral.cvmfs.dataplane.api.RouteTable;
import io.ephemeral.cvmfs.dataplane.api.TableRoute;
import io.ephemeral.cvmfs.dataplane.format.Pem;
import io.ephemeral.cvmfs.dataplane.maintenance.GarbageCollector;
import io.ephemeral.cvmfs.dataplane.maintenance.GcScheduler;
import io.ephemeral.cvmfs.dataplane.maintenance.Housekeeper;
import io.ephemeral.cvmfs.dataplane.notify.NotificationHub;
import io.ephemeral.cvmfs.dataplane.notify.PublishRoute;
import io.ephemeral.cvmfs.dataplane.notify.RevisionAnnouncer;
import io.ephemeral.cvmfs.dataplane.notify.SubscribeRoute;
import io.ephemeral.cvmfs.dataplane.maintenance.InvalidWhitelistException;
import io.ephemeral.cvmfs.dataplane.maintenance.MaintenanceSettings;
import io.ephemeral.cvmfs.dataplane.maintenance.WhitelistCheck;
import io.ephemeral.cvmfs.dataplane.maintenance.WhitelistInstaller;
import io.ephemeral.cvmfs.dataplane.maintenance.WhitelistWatcher;
import io.ephemeral.cvmfs.dataplane.observability.AuditLog;
import io.ephemeral.cvmfs.dataplane.observability.HealthRoute;
import io.ephemeral.cvmfs.dataplane.observability.Metrics;
import io.ephemeral.cvmfs.dataplane.observability.MetricsRoute;
import io.ephemeral.cvmfs.dataplane.publish.ObjectPipeline;
import io.ephemeral.cvmfs.dataplane.publish.PublishService;
import io.ephemeral.cvmfs.dataplane.publish.Publisher;
import io.ephemeral.cvmfs.dataplane.repository.DataLayout;
import io.ephemeral.cvmfs.dataplane.repository.PublishToken;
import io.ephemeral.cvmfs.dataplane.repository.Repository;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running data plane: the repositories it opened, their publishers, the HTTP servers and the
 * housekeeping. {@link #close()} stops everything in reverse order; {@link #shutdown()} first lets
 * the requests in flight finish.
 */
public final class DataPlane implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(DataPlane.class);

  /** Requests that block on ingest at the same time; more get 503. */
  private static final int MAX_WORKERS = 256;

  private final DataPlaneConfig config;
  private final ObjectPipeline pipeline = ObjectPipeline.forThisMachine();
  private final Map<String, Publisher> publishers = new LinkedHashMap<>();
  private final NotificationHub hub = new NotificationHub();
  private final List<HttpServer> servers = new ArrayList<>();
  private final Map<String, GarbageCollector> collectors = new LinkedHashMap<>();
  private final Map<String, WhitelistInstaller> whitelists = new LinkedHashMap<>();
  private final Metrics metrics = new Metrics();
  private final AuditLog audit = new AuditLog();
  private final List<AutoCloseable> resources = new ArrayList<>();
  private ExecutorService workers;
  private PublishService service;
  private int port;
  private int notificationPort = -1;
  private volatile String publicUrl;
  private final AtomicBoolean closed = new AtomicBoolean();

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
    DataLayout layout = config.layout();
    Map<String, Repository> repositories = new LinkedHashMap<>();
    Map<String, PublishToken> tokens = new LinkedHashMap<>();
    MaintenanceSettings maintenance = config.maintenance();
    for (String fqrn : config.repositories()) {
      installExternalWhitelist(layout, fqrn);
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
      collectors.put(fqrn, new GarbageCollector(repository, maintenance.gcGrace() != null ? maintenance.gcGrace()
          : GarbageCollector.defaultGrace(repository.options().manifestTtl())));
      whitelists.put(fqrn, WhitelistInstaller.of(repository));
      metrics.watchPublisher(fqrn, publisher);
      metrics.watchCollector(fqrn, collectors.get(fqrn));
      metrics.watchWhitelist(fqrn, whitelists.get(fqrn));
      metrics.watchRevision(fqrn, publisher.committer());
      metrics.registerSubscriberGauge(fqrn, () -> hub.subscribers(fqrn));
      tokens.put(fqrn, token(layout, fqrn));
    }
    service = new PublishService(publishers, config.policy(), Clock.systemUTC());
    metrics.watchPublishFailures(service);
    WriteAuthorizer authorizer = new WriteAuthorizer(tokens);
    RevisionAnnouncer announcer = new RevisionAnnouncer(hub, repositories.values(), Clock.systemUTC());
    publishers.values().forEach(publisher -> announcer.follow(publisher.committer()));
    workers = workers();
    ApiRepositoryInfo info = new ApiRepositoryInfo(service, Clock.systemUTC());
    RouteTable api = ApiRoute.table(service, authorizer, info, new MaintenanceRoute(collectors, whitelists));
    RouteTable legacy = LegacyApiRoute.table(service, authorizer, config.legacyApiWithoutToken(), collectors, announcer,
        layout::scratch);
    HttpServer server = withNotificationApi(
        HttpServer.builder(HttpServerConfig.defaults().withAddress(config.bindAddress(), config.port())
            .withObjectCacheBytes(config.objectCacheBytes()).withConnectionLimits(config.connections())
            .withMaxRequestBodyBytes(config.policy().maxUploadBytes())),
        authorizer, announcer)
        .observer(request -> observe("main", request))
        .repositories(new LocalRepositories(repositories, () -> publicUrl, config.publicUrl() == null))
        .route(() -> new MetricsRoute(metrics))
        .route(() -> new HealthRoute(whitelists, Duration.ofDays(maintenance.whitelistMinDays())))
        .route(() -> new TableRoute(api, workers))
        .route(() -> new TableRoute(legacy, workers))
        .build();
    servers.add(server);
    metrics.watchConnections("main", server.connections());
    port = server.start();
    publicUrl = config.publicUrl() != null ? stripSlash(config.publicUrl())
        : "http://" + (config.bindAddress().equals("0.0.0.0") ? "localhost" : config.bindAddress()) + ":" + port;
    if (config.notificationPort() >= 0) {
      HttpServer notifications = withNotificationApi(HttpServer.builder(
          HttpServerConfig.defaults().withAddress(config.bindAddress(), config.notificationPort())
              .withConnectionLimits(config.connections())
              .withMaxRequestBodyBytes(config.policy().maxUploadBytes())), authorizer, announcer)
          .observer(request -> observe("notification", request)).build();
      servers.add(notifications);
      metrics.watchConnections("notification", notifications.connections());
      notificationPort = notifications.start();
    }
    resources.add(Housekeeper.start(service, config.housekeepingInterval()));
    if (!maintenance.gcInterval().isZero()) {
      resources.add(GcScheduler.start(List.copyOf(collectors.values()), maintenance.gcInterval()));
    }
    for (String fqrn : config.repositories()) {
      Path external = maintenance.whitelistFileOf(fqrn);
      if (external != null) {
        resources.add(WhitelistWatcher.start(external, whitelists.get(fqrn), maintenance.whitelistPollInterval()));
      }
    }
  }

  /** The notification API (format.md 10) under /api/v1/notifications/. */
  private HttpServer.Builder withNotificationApi(HttpServer.Builder builder, WriteAuthorizer authorizer,
      RevisionAnnouncer announcer) {
    return builder.route(() -> new SubscribeRoute(hub)).route(() -> new PublishRoute(authorizer, announcer));
  }

  /** Every request of {@code server} as it ends. */
  private void observe(String server, CompletedRequest request) {
    metrics.recordRequest(server, request);
    audit.record(request);
  }

  private static String stripSlash(String url) {
    return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
  }

  /**
   * Serves the external whitelist before the repository opens, which then needs no master key:
   * it signs a whitelist itself only when none is served.
   */
  private void installExternalWhitelist(DataLayout layout, String fqrn) throws IOException {
    Path external = config.maintenance().whitelistFileOf(fqrn);
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

  /** The meters of this data plane, as {@code /metrics} exposes them. */
  public Metrics metrics() {
    return metrics;
  }

  public GarbageCollector collector(String fqrn) {
    return collectors.get(fqrn);
  }

  /** Requests being answered now, on all ports; notification streams are not counted. */
  public int requestsInFlight() {
    return servers.stream().mapToInt(server -> server.inFlight().count()).sum();
  }

  /**
   * What SIGTERM does: {@link #drain} for the configured grace, then {@link #close}. Returns the
   * requests that were cut.
   */
  public List<InFlightRequests.Cut> shutdown() {
    try {
      return drain(config.shutdownGrace());
    } finally {
      close();
    }
  }

  /**
   * Stops accepting connections, ends the notification streams (their clients reconnect elsewhere)
   * and answers new requests on open connections with 503, then waits up to {@code grace} for the
   * requests in flight, such as uploads still receiving their body, and cuts those left (each
   * logged). A body cut short is never committed. Returns what was cut.
   */
  public List<InFlightRequests.Cut> drain(Duration grace) {
    long deadline = System.nanoTime() + grace.toNanos();
    servers.forEach(HttpServer::startDraining);
    int inFlight = requestsInFlight();
    if (inFlight > 0) {
      LOG.info("shutting down: waiting up to {} s for {} requests in flight", grace.toSeconds(), inFlight);
    }
    hub.close();
    List<InFlightRequests.Cut> cut = new ArrayList<>();
    for (HttpServer server : servers) {
      cut.addAll(server.finishDraining(deadline));
    }
    if (!cut.isEmpty()) {
      LOG.warn("shutting down: the grace of {} s ran out, {} requests were cut", grace.toSeconds(), cut.size());
    }
    return cut;
  }

  /** Stops in the order that lets clients fail over: no new connections, streams cut, then the rest. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    servers.forEach(HttpServer::stopListening);
    hub.close();
    for (int i = resources.size() - 1; i >= 0; i--) {
      try {
        resources.get(i).close();
      } catch (Exception e) {
        LOG.warn("while stopping", e);
      }
    }
    servers.forEach(HttpServer::close);
    if (workers != null) {
      workers.shutdownNow();
    }
    for (Publisher publisher : publishers.values()) {
      try {
        publisher.close();
      } catch (IOException e) {
        LOG.warn("while closing {}: {}", publisher.repository().fqrn(), e.getMessage());
      }
    }
    pipeline.close();
  }
}
