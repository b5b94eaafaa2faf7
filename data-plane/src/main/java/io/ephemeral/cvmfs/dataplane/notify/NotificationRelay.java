package io.ephemeral.cvmfs.dataplane.notify;

import io.ephemeral.cvmfs.common.format.SignedDocument;
import io.ephemeral.cvmfs.dataplane.Closing;
import io.ephemeral.cvmfs.dataplane.format.Manifest;
import io.ephemeral.cvmfs.dataplane.http.HttpServer;
import io.ephemeral.cvmfs.dataplane.http.HttpServerConfig;
import io.ephemeral.cvmfs.dataplane.observability.AuditLog;
import io.ephemeral.cvmfs.dataplane.observability.Metrics;
import io.ephemeral.cvmfs.dataplane.observability.MetricsRoute;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A stateless notification server that repeats the writer's announcements, so that the address
 * clients subscribe at survives a restart of the writer when several relays run behind it.
 *
 * <p>For each repository it stays subscribed to the writer with a {@link NotificationClient},
 * which subscribes again after every failure, with exponential backoff and jitter, and never
 * gives up; each connection attempt ends after {@link RelayConfig#upstreamConnectTimeout}, so that
 * a writer that is back is found within that and the backoff even where its address answered
 * nothing while it was away; and it subscribes afresh after {@link RelayConfig#upstreamIdle}
 * without news, in case the writer vanished without closing the connection. It serves the
 * writer's subscribe protocol with the writer's own {@link SubscribeRoute} and {@link
 * NotificationHub}: a new subscriber gets the latest revision relayed
 * (if any), then every newer one, and streams stay open while the writer is away. Only a
 * manifest of the subscribed repository with a revision above the last one relayed is passed
 * on; the writer's announcement of its current revision on every resubscription is thus not
 * repeated. Publishing is refused (see {@link RelayPublishRoute}).
 *
 * <p>The relay keeps nothing on disk: a relay that starts while the writer is away holds its
 * subscribers open until the writer is back.
 */
public final class NotificationRelay implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(NotificationRelay.class);

  // How long close() waits for an upstream subscription to end once interrupted.
  private static final long UPSTREAM_STOP_MILLIS = 2_000;

  private final RelayConfig config;
  private final NotificationHub hub = new NotificationHub();
  private final Metrics metrics = new Metrics();
  private final AuditLog audit = new AuditLog();
  private final Map<String, NotificationClient> clients = new LinkedHashMap<>();
  private final Map<String, AtomicLong> received = new LinkedHashMap<>();
  private final List<Thread> upstreams = new ArrayList<>();
  private HttpServer server;
  private int port;
  private volatile boolean closed;

  private NotificationRelay(RelayConfig config) {
    this.config = config;
  }

  /** Starts listening, then subscribes upstream; the relay is ready once this returns. */
  public static NotificationRelay start(RelayConfig config) throws IOException {
    NotificationRelay relay = new NotificationRelay(config);
    return Closing.onFailure(relay, relay::open);
  }

  private NotificationRelay open() throws IOException {
    for (String fqrn : config.repositories()) {
      clients.put(fqrn, new NotificationClient(config.upstream(), fqrn, config.initialBackoff(), config.maxBackoff(),
          config.upstreamIdle(), config.upstreamConnectTimeout(), line -> LOG.info("upstream: {}", line)));
      received.put(fqrn, new AtomicLong());
      metrics.registerSubscriberGauge(fqrn, () -> hub.subscribers(fqrn));
    }
    server = HttpServer.builder(HttpServerConfig.defaults().withAddress(config.bindAddress(), config.port())
            .withObjectCacheBytes(0))
        .route(() -> new SubscribeRoute(hub))
        .route(RelayPublishRoute::new)
        .route(() -> new RelayHealthRoute(hub, config.repositories(), this))
        .route(() -> new MetricsRoute(metrics))
        .observer(request -> {
          metrics.recordRequest("relay", request);
          audit.record(request);
        })
        .build();
    port = server.start();
    for (Map.Entry<String, NotificationClient> entry : clients.entrySet()) {
      String fqrn = entry.getKey();
      Thread upstream = new Thread(() -> follow(fqrn, entry.getValue()), "relay-upstream-" + fqrn);
      upstream.setDaemon(true);
      upstreams.add(upstream);
      upstream.start();
    }
    LOG.info("relaying the notifications of {} from {} on port {}", config.repositories(), config.upstream(), port);
    return this;
  }

  private void follow(String fqrn, NotificationClient client) {
    try {
      client.run(message -> {
        received.get(fqrn).incrementAndGet();
        relay(fqrn, message);
        return !closed;
      });
    } catch (InterruptedException e) {
      // closing
    } catch (RuntimeException e) {
      LOG.error("no longer relaying {}", fqrn, e);
    }
  }

  /** Announces {@code message} if it carries a manifest of {@code fqrn} newer than the last one relayed. */
  private void relay(String fqrn, ActivityMessage message) {
    Manifest manifest;
    try {
      manifest = Manifest.parse(SignedDocument.parse(message.manifest()));
    } catch (IllegalArgumentException e) {
      LOG.warn("ignoring a notification for {}: the manifest does not parse: {}", fqrn, e.getMessage());
      return;
    }
    if (!fqrn.equals(message.repository()) || !fqrn.equals(manifest.fqrn())) {
      LOG.warn("ignoring a notification on the stream of {}: it is for {} with a manifest of {}", fqrn,
          message.repository(), manifest.fqrn());
      return;
    }
    long last = hub.revision(fqrn).orElse(Long.MIN_VALUE);
    if (manifest.revision() <= last) {
      LOG.debug("not relaying revision {} of {}: revision {} was relayed", manifest.revision(), fqrn, last);
      return;
    }
    hub.announce(message, manifest.revision());
    LOG.info("relayed revision {} of {}", manifest.revision(), fqrn);
  }

  /** The bound port. */
  public int port() {
    return port;
  }

  /** The streams served, by repository. */
  public NotificationHub hub() {
    return hub;
  }

  /** Whether the subscription to the writer for {@code fqrn} is open now. */
  public boolean upstreamConnected(String fqrn) {
    NotificationClient client = clients.get(fqrn);
    return client != null && client.subscribed();
  }

  /** Messages received from the writer for {@code fqrn}, relayed or not. */
  public long messagesReceived(String fqrn) {
    AtomicLong count = received.get(fqrn);
    return count == null ? 0 : count.get();
  }

  /** The meters, as {@code /metrics} exposes them. */
  public Metrics metrics() {
    return metrics;
  }

  /**
   * Stops as the writer does: no new connections, the streams closed abruptly and spread over
   * up to {@link NotificationHub#SHUTDOWN_SPREAD}, so that clients reconnect to another relay;
   * then the subscriptions upstream and the threads.
   */
  @Override
  public void close() {
    closed = true;
    if (server != null) {
      server.stopListening();
    }
    hub.close();
    clients.values().forEach(NotificationClient::close);
    upstreams.forEach(Thread::interrupt);
    for (Thread upstream : upstreams) {
      try {
        upstream.join(UPSTREAM_STOP_MILLIS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
      if (upstream.isAlive()) {
        LOG.debug("{} did not stop within {} ms", upstream.getName(), UPSTREAM_STOP_MILLIS);
      }
    }
    if (server != null) {
      server.close();
    }
  }
}
