package io.ephemeral.cvmfs.dataplane.observability;

import io.ephemeral.cvmfs.dataplane.format.Whitelist;
import io.ephemeral.cvmfs.dataplane.maintenance.GarbageCollector;
import io.ephemeral.cvmfs.dataplane.maintenance.GcResult;
import io.ephemeral.cvmfs.dataplane.maintenance.WhitelistInstaller;
import io.ephemeral.cvmfs.dataplane.publish.PublishResult;
import io.ephemeral.cvmfs.dataplane.publish.Publisher;
import io.ephemeral.cvmfs.dataplane.http.ConnectionStats;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * The data plane's meters, scraped in the Prometheus text format at {@code /metrics}. Every
 * meter carries a {@code repository} tag, except those of the HTTP connections, which carry a
 * {@code server} tag ({@code main} or {@code notification}). The store size comes from the last garbage
 * collection's sweep, which walks the whole store anyway; it is NaN until the first one.
 */
public final class Metrics {

  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

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
    AtomicLong objects = new AtomicLong(-1);
    AtomicLong storedBytes = new AtomicLong(-1);
    Gauge.builder("cvmfs.store.objects", objects, Metrics::unknownIfNegative).description("Objects in the store")
        .tag("repository", fqrn).register(registry);
    Gauge.builder("cvmfs.store.bytes", storedBytes, Metrics::unknownIfNegative).description("Bytes in the store")
        .baseUnit("bytes").tag("repository", fqrn).register(registry);
    collector.onResult((GcResult result) -> {
      // A dry run leaves in place what it would have freed.
      long leftObjects = result.objectsKept() + (result.dryRun() ? result.objectsFreed() : 0);
      long leftBytes = result.bytesKept() + (result.dryRun() ? result.bytesFreed() : 0);
      objects.set(leftObjects);
      storedBytes.set(leftBytes);
      if (!result.dryRun()) {
        runs.increment();
        freed.increment(result.bytesFreed());
        freedObjects.increment(result.objectsFreed());
      }
    });
  }

  /** Seconds until clients stop accepting the served whitelist; negative once expired, NaN if there is none. */
  public void watchWhitelist(String fqrn, WhitelistInstaller whitelist) {
    Gauge.builder("cvmfs.whitelist.seconds.left", whitelist, w -> {
      Whitelist current = w.current();
      return current == null ? Double.NaN : Duration.between(Instant.now(), current.clientExpiry()).toSeconds();
    }).description("Seconds until the served whitelist expires for clients").tag("repository", fqrn).register(registry);
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
    return registry.scrape();
  }

  /** Names of the registered meters, for tests and diagnostics. */
  public List<String> meterNames() {
    return registry.getMeters().stream().map(m -> m.getId().getName()).distinct().sorted().toList();
  }

  private static double unknownIfNegative(AtomicLong value) {
    long current = value.get();
    return current < 0 ? Double.NaN : current;
  }
}
