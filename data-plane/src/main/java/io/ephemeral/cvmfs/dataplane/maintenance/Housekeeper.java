package io.ephemeral.cvmfs.dataplane.maintenance;

import io.ephemeral.cvmfs.dataplane.DaemonTimer;
import io.ephemeral.cvmfs.dataplane.publish.PublishService;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Removes expired publications and stale uploads at a fixed interval. */
public final class Housekeeper implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(Housekeeper.class);

  private final ScheduledExecutorService timer = DaemonTimer.named("housekeeping");
  private final PublishService service;

  private Housekeeper(PublishService service) {
    this.service = service;
  }

  public static Housekeeper start(PublishService service, Duration interval) {
    Housekeeper housekeeper = new Housekeeper(service);
    housekeeper.timer.scheduleWithFixedDelay(housekeeper::runOnce, interval.toMillis(), interval.toMillis(),
        TimeUnit.MILLISECONDS);
    return housekeeper;
  }

  /** One pass; failures are logged and retried at the next interval. */
  public Map<String, List<String>> runOnce() {
    try {
      Map<String, List<String>> removed = service.expire();
      removed.forEach((fqrn, paths) -> {
        if (!paths.isEmpty()) {
          LOG.info("{}: expired {}", fqrn, paths);
        }
      });
      return removed;
    } catch (Exception e) {
      LOG.warn("housekeeping failed: {}", e.toString());
      return Map.of();
    }
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
