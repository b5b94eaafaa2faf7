package io.ephemeral.cvmfs.dataplane.maintenance;

import java.nio.file.Path;
import java.time.Duration;

/**
 * How a running data plane maintains its repositories.
 *
 * @param gcGrace how long a revision stays readable after it was replaced, or {@code null} for
 *     {@link GarbageCollector#defaultGrace each repository's default}
 * @param gcInterval time between automatic collections; zero disables them
 * @param whitelistFile a whitelist maintained elsewhere, served when valid; {@code {fqrn}} in it
 *     stands for each repository's name; {@code null} for none
 * @param whitelistPollInterval how often that file is read
 * @param whitelistMinDays readiness warns when the served whitelist has fewer days left
 */
public record MaintenanceSettings(Duration gcGrace, Duration gcInterval, String whitelistFile,
    Duration whitelistPollInterval, int whitelistMinDays) {

  public static final MaintenanceSettings DEFAULT =
      new MaintenanceSettings(null, Duration.ofMinutes(10), null, Duration.ofSeconds(5), 3);

  public MaintenanceSettings {
    if (gcInterval.isNegative() || whitelistPollInterval.isNegative() || whitelistPollInterval.isZero()) {
      throw new IllegalArgumentException("maintenance intervals must be positive");
    }
    if (gcGrace != null && gcGrace.isNegative()) {
      throw new IllegalArgumentException("the GC grace period cannot be negative");
    }
    if (whitelistMinDays < 0) {
      throw new IllegalArgumentException("--whitelist-min-days cannot be negative");
    }
  }

  /** The external whitelist of {@code fqrn}, or {@code null}. */
  public Path whitelistFileOf(String fqrn) {
    return whitelistFile == null ? null : Path.of(whitelistFile.replace("{fqrn}", fqrn));
  }

  public MaintenanceSettings withGc(Duration grace, Duration interval) {
    return new MaintenanceSettings(grace, interval, whitelistFile, whitelistPollInterval, whitelistMinDays);
  }

  public MaintenanceSettings withWhitelistFile(String file, Duration pollInterval) {
    return new MaintenanceSettings(gcGrace, gcInterval, file, pollInterval, whitelistMinDays);
  }

  public MaintenanceSettings withWhitelistMinDays(int days) {
    return new MaintenanceSettings(gcGrace, gcInterval, whitelistFile, whitelistPollInterval, days);
  }
}
