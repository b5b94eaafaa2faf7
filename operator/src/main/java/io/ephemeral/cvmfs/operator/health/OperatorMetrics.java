package io.ephemeral.cvmfs.operator.health;

import io.ephemeral.cvmfs.common.observability.ProcessMeters;
import io.javaoperatorsdk.operator.monitoring.micrometer.MicrometerMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

/**
 * The operator's meters, scraped at {@code /metrics} of the {@link HealthServer}: the framework's
 * reconciliation and event meters ({@code operator_sdk_*}), and the JVM's and the process's, as
 * the data plane has them. The framework's are per controller, not per resource: publications
 * come and go with every CI pipeline, and a series each would grow without bound.
 */
public final class OperatorMetrics {

  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final MicrometerMetrics framework = MicrometerMetrics.withoutPerResourceMetrics(registry);

  public OperatorMetrics() {
    ProcessMeters.bindTo(registry);
  }

  /** What to give the operator framework ({@code ConfigurationServiceOverrider.withMetrics}). */
  public MicrometerMetrics framework() {
    return framework;
  }

  /** The Prometheus text exposition of every meter. */
  public String scrape() {
    return registry.scrape();
  }
}
