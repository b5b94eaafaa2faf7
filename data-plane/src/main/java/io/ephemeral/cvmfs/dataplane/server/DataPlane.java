package io.ephemeral.cvmfs.dataplane.server;

import io.ephemeral.cvmfs.dataplane.Closing;
import io.ephemeral.cvmfs.dataplane.api.ApiRepositoryInfo;
import io.ephemeral.cvmfs.dataplane.api.ApiRoute;
import io.ephemeral.cvmfs.dataplane.api.LegacyApiRoute;
import io.ephemeral.cvmfs.dataplane.api.MaintenanceRoute;
import io.ephemeral.cvmfs.dataplane.api.RouteTable;
import io.ephemeral.cvmfs.dataplane.api.TableRoute;
import io.ephemeral.cvmfs.dataplane.api.TagRoute;
import io.ephemeral.cvmfs.dataplane.api.WriterRedirectRoute;
import io.ephemeral.cvmfs.dataplane.http.CompletedRequest;
import io.ephemeral.cvmfs.dataplane.http.HttpServer;
import io.ephemeral.cvmfs.dataplane.http.HttpServerConfig;
import io.ephemeral.cvmfs.dataplane.http.InFlightRequests;
import io.ephemeral.cvmfs.dataplane.http.WriteAuthorizer;
import io.ephemeral.cvmfs.dataplane.maintenance.GarbageCollector;
import io.ephemeral.cvmfs.dataplane.maintenance.GcScheduler;
import io.ephemeral.cvmfs.dataplane.maintenance.Housekeeper;
import io.ephemeral.cvmfs.dataplane.maintenance.MaintenanceSettings;
import io.ephemeral.cvmfs.dataplane.maintenance.WhitelistInstaller;
import io.ephemeral.cvmfs.dataplane.maintenance.WhitelistWatcher;
import io.ephemeral.cvmfs.dataplane.notify.NotificationException;
import io.ephemeral.cvmfs.dataplane.notify.NotificationHub;
import io.ephemeral.cvmfs.dataplane.notify.PublishRoute;
import io.ephemeral.cvmfs.dataplane.notify.RevisionAnnouncer;
import io.ephemeral.cvmfs.dataplane.notify.SubscribeRoute;
import io.ephemeral.cvmfs.dataplane.observability.AuditLog;
import io.ephemeral.cvmfs.dataplane.observability.HealthRoute;
import io.ephemeral.cvmfs.dataplane.observability.Metrics;
import io.ephemeral.cvmfs.dataplane.observability.MetricsRoute;
import io.ephemeral.cvmfs.dataplane.publish.ObjectPipeline;
import io.ephemeral.cvmfs.dataplane.publish.PublishOperation;
import io.ephemeral.cvmfs.dataplane.publish.PublishOperations;
import io.ephemeral.cvmfs.dataplane.publish.PublishService;
import io.ephemeral.cvmfs.dataplane.publish.Publisher;
import io.ephemeral.cvmfs.dataplane.publish.RepositoryTags;
import io.ephemeral.cvmfs.dataplane.storage.S3Backend;
import io.ephemeral.cvmfs.dataplane.storage.StorageBackend;
import io.ephemeral.cvmfs.dataplane.storage.WriterLeaseHeldException;
import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running data plane: the repositories it serves (each a {@link ServedRepository}), the HTTP
 * servers and the housekeeping. {@link #close()} stops everything in reverse order;
 * {@link #shutdown()} first lets the requests in flight finish.
 */
public final class DataPlane implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(DataPlane.class);

  /** Requests that block on ingest at the same time; more get 503. */
  private static final int MAX_WORKERS = 256;

  private final DataPlaneConfig config;
  private final ObjectPipeline pipeline = ObjectPipeline.forThisMachine();
  private final Map<String, ServedRepository> served = new LinkedHashMap<>();
  private final NotificationHub hub = new NotificationHub();
  private final List<HttpServer> servers = new ArrayList<>();
  private final Metrics metrics = new Metrics();
  private final AuditLog audit = new AuditLog();
  private final List<AutoCloseable> resources = new ArrayList<>();
  private ExecutorService workers;
  private PublishService service;
  private final PublishOperations operations = new PublishOperations(Clock.systemUTC());
  private int port;
  private int notificationPort = -1;
  private volatile String publicUrl;
  private final AtomicBoolean closed = new AtomicBoolean();
  private StorageBackend storage;
  private final Map<String, FollowedRepository> followed = new LinkedHashMap<>();
  private final CompletableFuture<Void> restart = new CompletableFuture<>();

  private DataPlane(DataPlaneConfig config) {
    this.config = config;
  }

  /** Opens (or creates) every repository and starts serving. */
  public static DataPlane start(DataPlaneConfig config) throws IOException {
    DataPlane dataPlane = new DataPlane(config);
    return Closing.onFailure(dataPlane, dataPlane::open);
  }

  private DataPlane open() throws IOException {
    storage = config.storage().connect(this::advertisedUrl);
    if (storage instanceof S3Backend s3) {
      // Fenced: another process writes a repository this one wrote. Start again, as its follower.
      s3.whenWriterLost(() -> restart.complete(null));
    }
    for (String fqrn : config.repositories()) {
      try {
        served.put(fqrn, ServedRepository.open(config, fqrn, pipeline, storage));
      } catch (WriterLeaseHeldException held) {
        FollowedRepository follower = FollowedRepository.open(fqrn, config.layout(),
            ((S3Backend) storage).follow(config.layout(), fqrn), held.held());
        followed.put(fqrn, follower);
        LOG.info("following {}: {} writes it", fqrn, follower.writer().name());
      }
    }
    for (ServedRepository repository : served.values()) {
      repository.reportTo(metrics);
      metrics.registerSubscriberGauge(repository.fqrn(), () -> hub.subscribers(repository.fqrn()));
    }
    for (String fqrn : followed.keySet()) {
      metrics.registerSubscriberGauge(fqrn, () -> hub.subscribers(fqrn));
    }
    MaintenanceSettings maintenance = config.maintenance();
    Map<String, GarbageCollector> collectors = each(ServedRepository::collector);
    Map<String, WhitelistInstaller> whitelists = each(ServedRepository::whitelist);
    service = new PublishService(each(ServedRepository::publisher), config.policy(), Clock.systemUTC());
    metrics.watchPublishFailures(service);
    WriteAuthorizer authorizer = new WriteAuthorizer(each(ServedRepository::token));
    RevisionAnnouncer announcer = new RevisionAnnouncer(hub, each(ServedRepository::repository).values(),
        Clock.systemUTC());
    served.values().forEach(repository -> announcer.follow(repository.publisher().committer()));
    for (FollowedRepository follower : followed.values()) {
      Runnable announce = () -> announceFollowed(announcer, follower);
      announce.run();
      follower.start(announce, () -> restart.complete(null));
    }
    workers = workers();
    ApiRepositoryInfo info = new ApiRepositoryInfo(service, Clock.systemUTC());
    RouteTable api = ApiRoute.table(service, operations, authorizer, info,
        new MaintenanceRoute(collectors, whitelists), new TagRoute(new RepositoryTags(service)));
    RouteTable legacy = LegacyApiRoute.table(service, authorizer, config.legacyApiWithoutToken(), collectors, announcer,
        config.layout()::scratch);
    HttpServer server = withNotificationApi(
        HttpServer.builder(HttpServerConfig.defaults().withAddress(config.bindAddress(), config.port())
            .withObjectCacheBytes(config.objectCacheBytes()).withConnectionLimits(config.connections())
            .withMaxRequestBodyBytes(config.policy().maxUploadBytes())),
        authorizer, announcer)
        .observer(request -> observe("main", request))
        .repositories(new LocalRepositories(contents(), () -> publicUrl, config.publicUrl() == null))
        .route(() -> new MetricsRoute(metrics))
        .route(() -> new HealthRoute(whitelists, Duration.ofDays(maintenance.whitelistMinDays())))
        .route(() -> new WriterRedirectRoute(this::writerOf))
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
    for (ServedRepository repository : served.values()) {
      Path external = maintenance.whitelistFileOf(repository.fqrn());
      if (external != null) {
        resources.add(WhitelistWatcher.start(external, repository.whitelist(), maintenance.whitelistPollInterval()));
      }
    }
    return this;
  }

  /** What the HTTP server needs of every repository, written or followed here. */
  private List<LocalRepositories.Content> contents() {
    List<LocalRepositories.Content> contents = new ArrayList<>();
    served.values().forEach(repository -> contents.add(LocalRepositories.Content.of(repository.repository())));
    followed.values().forEach(follower -> contents.add(new LocalRepositories.Content(follower.fqrn(), follower.served(),
        follower.storage().objects(), follower.layout())));
    return contents;
  }

  private Optional<WriterRedirectRoute.Writer> writerOf(String fqrn) {
    FollowedRepository follower = followed.get(fqrn);
    return follower == null ? Optional.empty()
        : Optional.of(new WriterRedirectRoute.Writer(follower.writer().name(), follower.writer().url()));
  }

  private void announceFollowed(RevisionAnnouncer announcer, FollowedRepository follower) {
    try {
      announcer.announceServed(follower.fqrn(), follower.served(), follower.keys());
    } catch (IOException | NotificationException | RuntimeException e) {
      // Served all the same; only the announcement is lost (no manifest yet, a lapsing whitelist).
      LOG.warn("the current revision of {} is not announced: {}", follower.fqrn(), e.getMessage());
    }
  }

  /**
   * Where the others on the same bucket reach this process: as configured, else the bound address
   * (this host's name when bound to all) at the bound port; {@code null} before the port is bound.
   */
  private String advertisedUrl() {
    if (config.storage().advertiseUrl() != null) {
      return config.storage().advertiseUrl();
    }
    return port == 0 ? null : "http://" + advertisedHost() + ":" + port;
  }

  private String advertisedHost() {
    try {
      InetAddress bound = InetAddress.getByName(config.bindAddress());
      if (!bound.isAnyLocalAddress()) {
        return bound instanceof Inet6Address ? "[" + bound.getHostAddress() + "]" : bound.getHostAddress();
      }
      return InetAddress.getLocalHost().getHostName();
    } catch (UnknownHostException e) {
      return "localhost";
    }
  }

  /**
   * Completes when this process should stop and start again: a repository it follows has lost its
   * writer (it takes the repository over), or another process took over one it wrote (it follows).
   */
  public CompletableFuture<Void> restartRequested() {
    return restart;
  }

  /** One part of every repository served, by name, in the configured order. */
  private <T> Map<String, T> each(Function<ServedRepository, T> part) {
    Map<String, T> parts = new LinkedHashMap<>();
    served.forEach((fqrn, repository) -> parts.put(fqrn, part.apply(repository)));
    return Collections.unmodifiableMap(parts);
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
    ServedRepository repository = served.get(fqrn);
    return repository == null ? null : repository.publisher();
  }

  /** The meters of this data plane, as {@code /metrics} exposes them. */
  public Metrics metrics() {
    return metrics;
  }

  public GarbageCollector collector(String fqrn) {
    ServedRepository repository = served.get(fqrn);
    return repository == null ? null : repository.collector();
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
    // Publications answered 202 have no request in flight; they may finish within the same grace.
    try {
      for (PublishOperation operation : operations.awaitIdle(deadline)) {
        LOG.warn("shutting down: cutting operation {}, publishing {} into {}; it will not commit",
            operation.id(), operation.path(), operation.repository());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
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
    followed.values().forEach(FollowedRepository::close);
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
    for (ServedRepository repository : served.values()) {
      try {
        repository.close();
      } catch (IOException e) {
        LOG.warn("while closing {}: {}", repository.fqrn(), e.getMessage());
      }
    }
    if (storage != null) {
      try {
        storage.close();
      } catch (IOException e) {
        LOG.warn("while closing the storage: {}", e.getMessage());
      }
    }
    pipeline.close();
  }
}
