package io.ephemeral.cvmfs.operator.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;

/** When the maintenance job runs: each run collects garbage, then re-signs the whitelist. */
public record MaintenanceSchedule(
    @JsonPropertyDescription("Cron schedule of the maintenance job.")
    @Pattern(Patterns.CRON) @Default("17 */6 * * *") String schedule,
    @JsonPropertyDescription("Seconds a replaced revision stays readable; default 2 x manifestTtl, at least 300.")
    @Pattern(Patterns.DURATION) String gcGrace) {

  public static final MaintenanceSchedule DEFAULT = new MaintenanceSchedule(null, null);

  public MaintenanceSchedule {
    schedule = schedule == null ? "17 */6 * * *" : schedule;
  }
}
