package io.ephemeral.cvmfs.dataplane.maintenance;

import io.ephemeral.cvmfs.dataplane.DaemonTimer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Runs every repository's garbage collection at a fixed interval, one after the other. */
public final class GcScheduler implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(GcScheduler.class);

  private final ScheduledExecutorService timer = DaemonTimer.named("garbage-collection");
  private final List<GarbageCollector> collectors;

  private GcScheduler(List<GarbageCollector> collectors) {
    this.collectors = List.copyOf(collectors);
  }

  public static GcScheduler start(List<GarbageCollector> collectors, Duration interval) {
    GcScheduler scheduler = new GcScheduler(collectors);
    scheduler.timer.scheduleWithFixedDelay(scheduler::runOnce, interval.toMillis(), interval.toMillis(),
        TimeUnit.MILLISECONDS);
    return scheduler;
  }

  /** One pass; a failure is logged and the next repository still collected. */
  void runOnce() {
    for (GarbageCollector collector : collectors) {
      String fqrn = collector.repository().fqrn();
      try {
        GcResult result = collector.collect(false);
        LOG.info("{}: garbage collection freed {} objects, {} bytes in {} ms", fqrn, result.objectsFreed(),
            result.bytesFreed(), result.durationMs());
      } catch (Exception e) {
        LOG.warn("{}: garbage collection failed: {}", fqrn, e.toString());
      }
    }
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
