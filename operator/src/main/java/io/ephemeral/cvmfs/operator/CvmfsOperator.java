package io.ephemeral.cvmfs.operator;

import io.ephemeral.cvmfs.operator.dataplane.DataPlaneClient;
import io.ephemeral.cvmfs.operator.dataplane.DataPlaneLocator;
import io.ephemeral.cvmfs.operator.events.EventRecorder;
import io.ephemeral.cvmfs.operator.reconcilers.CvmfsPublicationReconciler;
import io.ephemeral.cvmfs.operator.reconcilers.CvmfsRepositoryReconciler;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.config.ConfigurationServiceOverrider;
import io.javaoperatorsdk.operator.api.config.ControllerConfigurationOverrider;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfigurationBuilder;
import java.time.Clock;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The two controllers, wired to one Kubernetes client and one data-plane client. */
public final class CvmfsOperator implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(CvmfsOperator.class);

  private final Operator operator;
  private final AtomicBoolean closing;

  private CvmfsOperator(Operator operator, AtomicBoolean closing) {
    this.operator = operator;
    this.closing = closing;
  }

  /**
   * Registers and starts both controllers.
   *
   * @param overrides further settings of the operator framework, e.g. for tests
   */
  public static CvmfsOperator start(KubernetesClient client, OperatorConfig config, DataPlaneLocator locator,
      Clock clock, Consumer<ConfigurationServiceOverrider> overrides) {
    AtomicBoolean closing = new AtomicBoolean();
    Operator operator = new Operator(o -> {
      o.withKubernetesClient(client).withCloseClientOnStop(false);
      if (config.leaderElection()) {
        o.withLeaderElectionConfiguration(LeaderElectionConfigurationBuilder
            .aLeaderElectionConfiguration(OperatorConfig.LEASE_NAME)
            .withLeaseNamespace(config.leaseNamespace())
            .withIdentity(identity())
            // The framework would exit on every loss of the Lease, its own release on close()
            // too, which from a shutdown hook never returns: exit only on a loss nobody asked for.
            .withExitOnStopLeading(false)
            .withLeaderCallbacks(new LeaderCallbacks(() -> { }, () -> {
              if (!closing.get()) {
                LOG.error("lost the Lease {}: exiting so that a fresh process campaigns again", OperatorConfig.LEASE_NAME);
                new Thread(() -> System.exit(1), "lost-lease-exit").start();
              }
            }, leader -> LOG.info("the leader is {}", leader)))
            .build());
      }
      overrides.accept(o);
    });
    DataPlaneClient dataPlane = new DataPlaneClient(Duration.ofSeconds(5), Duration.ofMinutes(30));
    EventRecorder events = new EventRecorder(client, clock);
    operator.register(new CvmfsRepositoryReconciler(config, dataPlane, locator, events, clock),
        o -> watch(o, config));
    operator.register(new CvmfsPublicationReconciler(config, dataPlane, locator, events, clock),
        o -> watch(o, config));
    operator.start();
    return new CvmfsOperator(operator, closing);
  }

  /** The pod's name where there is one, so that the Lease names its holder; unique either way. */
  private static String identity() {
    String host = System.getenv("HOSTNAME");
    return (host == null || host.isBlank() ? "operator" : host) + "-" + UUID.randomUUID().toString().substring(0, 8);
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
    closing.set(true);
    operator.stop();
  }
}
