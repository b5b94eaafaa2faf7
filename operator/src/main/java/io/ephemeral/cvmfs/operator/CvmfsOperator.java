package io.ephemeral.cvmfs.operator;

import io.ephemeral.cvmfs.operator.dataplane.DataPlaneClient;
import io.ephemeral.cvmfs.operator.dataplane.DataPlaneLocator;
import io.ephemeral.cvmfs.operator.events.EventRecorder;
import io.ephemeral.cvmfs.operator.reconcilers.CvmfsPublicationReconciler;
import io.ephemeral.cvmfs.operator.reconcilers.CvmfsRepositoryReconciler;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.config.ConfigurationServiceOverrider;
import io.javaoperatorsdk.operator.api.config.ControllerConfigurationOverrider;
import java.time.Clock;
import java.time.Duration;
import java.util.function.Consumer;

/** The two controllers, wired to one Kubernetes client and one data-plane client. */
public final class CvmfsOperator implements AutoCloseable {

  private final Operator operator;

  private CvmfsOperator(Operator operator) {
    this.operator = operator;
  }

  /**
   * Registers and starts both controllers.
   *
   * @param overrides further settings of the operator framework, e.g. for tests
   */
  public static CvmfsOperator start(KubernetesClient client, OperatorConfig config, DataPlaneLocator locator,
      Clock clock, Consumer<ConfigurationServiceOverrider> overrides) {
    Operator operator = new Operator(o -> {
      o.withKubernetesClient(client).withCloseClientOnStop(false);
      overrides.accept(o);
    });
    DataPlaneClient dataPlane = new DataPlaneClient(Duration.ofSeconds(5), Duration.ofMinutes(30));
    EventRecorder events = new EventRecorder(client, clock);
    operator.register(new CvmfsRepositoryReconciler(config, dataPlane, locator, events, clock),
        o -> watch(o, config));
    operator.register(new CvmfsPublicationReconciler(client, config, dataPlane, locator, events, clock),
        o -> watch(o, config));
    operator.start();
    return new CvmfsOperator(operator);
  }

  private static void watch(ControllerConfigurationOverrider<?> overrider, OperatorConfig config) {
    if (!config.namespaces().isEmpty()) {
      overrider.settingNamespaces(config.namespaces());
    }
  }

  /** Whether every controller's informers are running. */
  public boolean healthy() {
    return operator.getRuntimeInfo().allEventSourcesAreHealthy();
  }

  public boolean started() {
    return operator.getRuntimeInfo().isStarted();
  }

  @Override
  public void close() {
    operator.stop();
  }
}
