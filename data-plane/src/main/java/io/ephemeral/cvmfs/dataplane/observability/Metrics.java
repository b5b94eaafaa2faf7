package io.ephemeral.cvmfs.dataplane.observability;

import io.ephemeral.cvmfs.common.format.Whitelist;
import io.ephemeral.cvmfs.common.observability.ProcessMeters;
import io.ephemeral.cvmfs.dataplane.http.CompletedRequest;
import io.ephemeral.cvmfs.dataplane.http.ConnectionStats;
import io.ephemeral.cvmfs.dataplane.maintenance.GarbageCollector;
import io.ephemeral.cvmfs.dataplane.maintenance.GcResult;
import io.ephemeral.cvmfs.dataplane.maintenance.WhitelistInstaller;
import io.ephemeral.cvmfs.dataplane.publish.Committer;
import io.ephemeral.cvmfs.dataplane.publish.PublishResult;
import io.ephemeral.cvmfs.dataplane.publish.PublishService;
import io.ephemeral.cvmfs.dataplane.publish.Publisher;
import io.ephemeral.cvmfs.dataplane.repository.Head;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * The data plane's meters, scraped in the Prometheus text format at {@code /metrics}. The
 * repositories' meters carry a {@code repository} tag; those of HTTP a {@code server} tag ({@code
 * main}, {@code notification} or {@code relay}); then there are the JVM's and the process's
 * ({@link ProcessMeters}). No gauge reads NaN: one without a value yet, such as the store size,
 * which comes from the last garbage collection's sweep, or the expiry of a whitelist not installed
 * yet, is registered once it has one.
 */
public final class Metrics {

  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  /** Gauges waiting for a value, tried again at each scrape; each returns whether it registered. */
  private final List<BooleanSupplier> pending = new CopyOnWriteArrayList<>();

  public Metrics() {
    ProcessMeters.bindTo(registry);
  }

  /** The registry, for meters bound elsewhere. */
  public MeterRegistry registry() {
    return registry;
  }

  /** Counts every publication {@code publisher} completes. */
  public void watchPublisher(String fqrn, Publisher publisher) {
    Counter publishes = Counter.builder("cvmfs.publishes").description("Publications committed")
        .tag("repository", fqrn).register(registry);
    Counter bytes = Counter.builder("cvmfs.published.bytes").description("Bytes of content published")
        .baseUnit("bytes").tag("repository", fqrn).register(registry);
    Timer latency = Timer.builder("cvmfs.publish.duration").description("From first byte received to revision served")
        .publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofHours(1))
        .tag("repository", fqrn).register(registry);
    publisher.onPublished((PublishResult result) -> {
      publishes.increment();
      bytes.increment(result.bytes());
      latency.record(result.ingest().plus(result.commit()));
    });
  }

  /** Counts collections and keeps the store size they measured. */
  public void watchCollector(String fqrn, GarbageCollector collector) {
    Counter runs = Counter.builder("cvmfs.gc.runs").description("Garbage collections, dry runs excluded")
        .tag("repository", fqrn).register(registry);
    Counter freed = Counter.builder("cvmfs.gc.freed.bytes").description("Bytes deleted by garbage collection")
        .baseUnit("bytes").tag("repository", fqrn).register(registry);
    Counter freedObjects = Counter.builder("cvmfs.gc.freed.objects").description("Objects deleted by garbage collection")
        .tag("repository", fqrn).register(registry);
    AtomicLong objects = new AtomicLong();
    AtomicLong storedBytes = new AtomicLong();
    AtomicBoolean measured = new AtomicBoolean();
    collector.onResult((GcResult result) -> {
      // A dry run leaves in place what it would have freed.
      long leftObjects = result.objectsKept() + (result.dryRun() ? result.objectsFreed() : 0);
      long leftBytes = result.bytesKept() + (result.dryRun() ? result.bytesFreed() : 0);
      objects.set(leftObjects);
      storedBytes.set(leftBytes);
      // Registered at the first result: before it the size is unknown.
      if (measured.compareAndSet(false, true)) {
        Gauge.builder("cvmfs.store.objects", objects, AtomicLong::get).description("Objects in the store")
            .tag("repository", fqrn).register(registry);
        Gauge.builder("cvmfs.store.bytes", storedBytes, AtomicLong::get).description("Bytes in the store")
            .baseUnit("bytes").tag("repository", fqrn).register(registry);
      }
      if (!result.dryRun()) {
        runs.increment();
        freed.increment(result.bytesFreed());
        freedObjects.increment(result.objectsFreed());
      }
    });
  }

  /**
   * Seconds until clients stop accepting the served whitelist, negative once expired, and the
   * time it expires, from when a whitelist is served.
   */
  public void watchWhitelist(String fqrn, WhitelistInstaller whitelist) {
    AtomicReference<Instant> last = new AtomicReference<>();
    // The served whitelist's expiry, or the last one seen: a registered gauge always has a value.
    Supplier<Instant> expiry = () -> {
      Whitelist current = whitelist.current();
      return current != null ? last.updateAndGet(previous -> current.clientExpiry()) : last.get();
    };
    BooleanSupplier register = () -> {
      if (expiry.get() == null) {
        return false;
      }
      Gauge.builder("cvmfs.whitelist.seconds.left", expiry, e -> Duration.between(Instant.now(), e.get()).toSeconds())
          .strongReference(true).description("Seconds until the served whitelist expires for clients")
          .tag("repository", fqrn).register(registry);
      Gauge.builder("cvmfs.whitelist.expiry", expiry, e -> e.get().getEpochSecond()).strongReference(true)
          .description("When the served whitelist expires for clients, in seconds since the epoch")
          .baseUnit("seconds").tag("repository", fqrn).register(registry);
      return true;
    };
    if (!register.getAsBoolean()) {
      pending.add(register); // tried at each scrape until a whitelist is served
    }
  }

  /** The revision {@code committer} serves, from its first one. */
  public void watchRevision(String fqrn, Committer committer) {
    AtomicLong revision = new AtomicLong(-1);
    AtomicBoolean registered = new AtomicBoolean();
    Runnable register = () -> {
      if (registered.compareAndSet(false, true)) {
        Gauge.builder("cvmfs.revision", revision, AtomicLong::get)
            .description("The revision the repository serves").tag("repository", fqrn).register(registry);
      }
    };
    committer.onRevision((Head head) -> {
      revision.set(head.revision());
      register.run();
    });
    try {
      Optional<Head> head = committer.repository().head();
      if (head.isPresent()) {
        revision.compareAndSet(-1, head.get().revision());
        register.run();
      }
    } catch (IOException e) {
      // Shown from the next revision on.
    }
  }

  /** Counts the publications of {@code service} that fail, by repository and reason. */
  public void watchPublishFailures(PublishService service) {
    service.onFailure((fqrn, reason) -> Counter.builder("cvmfs.publish.failures")
        .description("Publications refused or failed, by reason").tag("repository", fqrn).tag("reason", reason)
        .register(registry).increment());
  }

  /**
   * Counts one ended HTTP request of server {@code server}: its duration by route, method and
   * status, and its body bytes both ways by route. The status of a request whose connection closed
   * before any response is {@code none}.
   */
  public void recordRequest(String server, CompletedRequest request) {
    String route = request.facts().route();
    Timer.builder("cvmfs.http.requests").description("HTTP requests, from head to end of response")
        .tags("server", server, "route", route, "method", request.method(),
            "status", request.status() == 0 ? "none" : Integer.toString(request.status()))
        .register(registry).record(request.duration());
    if (request.requestBytes() > 0) {
      Counter.builder("cvmfs.http.request.bytes").description("HTTP request body bytes received").baseUnit("bytes")
          .tags("server", server, "route", route).register(registry).increment(request.requestBytes());
    }
    if (request.responseBytes() > 0) {
      Counter.builder("cvmfs.http.response.bytes").description("HTTP response body bytes sent").baseUnit("bytes")
          .tags("server", server, "route", route).register(registry).increment(request.responseBytes());
    }
  }

  /** Reports the notification subscribers of a repository: call once per repository. */
  public void registerSubscriberGauge(String fqrn, Supplier<Number> subscribers) {
    // A strong reference: the supplier is often a lambda nothing else holds on to.
    Gauge.builder("cvmfs.subscribers", subscribers, s -> s.get().doubleValue()).strongReference(true)
        .description("Clients subscribed to notifications").tag("repository", fqrn).register(registry);
  }

  /** Reports the connections of one HTTP server, tagged {@code server=NAME}: call once per server. */
  public void watchConnections(String server, ConnectionStats connections) {
    Gauge.builder("cvmfs.http.connections.open", connections, ConnectionStats::open)
        .description("HTTP connections open").tag("server", server).register(registry);
    FunctionCounter.builder("cvmfs.http.connections.refused", connections, ConnectionStats::refused)
        .description("HTTP connections closed at accept because a connection limit was reached")
        .tag("server", server).register(registry);
    FunctionCounter.builder("cvmfs.http.connections.timed.out", connections, ConnectionStats::timedOut)
        .description("HTTP connections closed by the header or idle timeout").tag("server", server).register(registry);
    FunctionCounter.builder("cvmfs.http.connections.write.stalled", connections, ConnectionStats::writeStalled)
        .description("HTTP connections closed by the write timeout: the client stopped reading a response")
        .tag("server", server).register(registry);
    FunctionCounter.builder("cvmfs.http.requests.body.too.large", connections, ConnectionStats::bodiesTooLarge)
        .description("HTTP requests refused from the head, or cut, for a body above the request body limit")
        .tag("server", server).register(registry);
  }

  /** The Prometheus text exposition of every meter. */
  public String scrape() {
    pending.removeIf(BooleanSupplier::getAsBoolean);
    return registry.scrape();
  }

  /** Names of the registered meters, for tests and diagnostics. */
  public List<String> meterNames() {
    return registry.getMeters().stream().map(m -> m.getId().getName()).distinct().sorted().toList();
  }
}
