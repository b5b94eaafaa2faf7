package io.ephemeral.cvmfs.operator.cli;

import io.ephemeral.cvmfs.common.observability.LogFormat;
import io.ephemeral.cvmfs.common.observability.LogSetup;
import io.ephemeral.cvmfs.common.publish.Ttl;
import io.ephemeral.cvmfs.operator.CvmfsOperator;
import io.ephemeral.cvmfs.operator.OperatorConfig;
import io.ephemeral.cvmfs.operator.dataplane.DataPlaneLocator;
import io.ephemeral.cvmfs.operator.health.HealthServer;
import io.ephemeral.cvmfs.operator.health.OperatorMetrics;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * Runs the operator until SIGTERM. Every flag falls back to an environment variable, then to a
 * default; the environment is passed in explicitly so that the fallback can be tested.
 */
@Command(name = "run", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Run the operator: reconcile CvmfsRepositories and CvmfsPublications until SIGTERM.",
        "The Kubernetes client is configured as usual: in-cluster service account, else kubeconfig."})
final class RunCommand implements Callable<Integer> {

  private static final Logger LOG = LoggerFactory.getLogger(RunCommand.class);

  static final String DEFAULT_HEALTH_PORT = "8081";
  static final String DEFAULT_STATUS_INTERVAL = "60s";
  static final String DEFAULT_PUBLICATION_CHECK_INTERVAL = "30s";
  static final String DEFAULT_RETRY_INTERVAL = "15s";
  static final String DEFAULT_LOG_FORMAT = "text";

  @Option(names = "--namespaces", paramLabel = "NS[,NS...]",
      description = "Namespaces to watch, comma-separated; empty for all (env CVMFS_OPERATOR_NAMESPACES; default all).")
  String namespaces;

  @Option(names = "--data-plane-image", paramLabel = "IMAGE",
      description = "Image of the data-plane workloads (env CVMFS_OPERATOR_DATA_PLANE_IMAGE; default "
          + OperatorConfig.DEFAULT_DATA_PLANE_IMAGE + ").")
  String dataPlaneImage;

  @Option(names = "--operator-image", paramLabel = "IMAGE",
      description = "This operator's image, which the maintenance CronJobs run (env CVMFS_OPERATOR_IMAGE; default "
          + OperatorConfig.DEFAULT_OPERATOR_IMAGE + ").")
  String operatorImage;

  @Option(names = "--health-port", paramLabel = "PORT",
      description = "Port of /healthz, /readyz and /metrics; -1 disables them (env CVMFS_OPERATOR_HEALTH_PORT; default "
          + DEFAULT_HEALTH_PORT + ").")
  String healthPort;

  @Option(names = "--status-interval", paramLabel = "DURATION",
      description = "How often a repository's status is refreshed (env CVMFS_OPERATOR_STATUS_INTERVAL; default "
          + DEFAULT_STATUS_INTERVAL + ").")
  String statusInterval;

  @Option(names = "--publication-check-interval", paramLabel = "DURATION",
      description = "How often a published path is checked on its data plane "
          + "(env CVMFS_OPERATOR_PUBLICATION_CHECK_INTERVAL; default " + DEFAULT_PUBLICATION_CHECK_INTERVAL + ").")
  String publicationCheckInterval;

  @Option(names = "--retry-interval", paramLabel = "DURATION",
      description = "How long a publication first waits for its data plane or source before "
          + "trying again, doubled after each failed attempt up to 5 minutes (env CVMFS_OPERATOR_RETRY_INTERVAL; default " + DEFAULT_RETRY_INTERVAL + ").")
  String retryInterval;

  @Option(names = "--cluster-domain", paramLabel = "DOMAIN",
      description = "The cluster's DNS domain, in the Service addresses client configurations name "
          + "(env CVMFS_OPERATOR_CLUSTER_DOMAIN; default " + OperatorConfig.DEFAULT_CLUSTER_DOMAIN + ").")
  String clusterDomain;

  @Option(names = "--leader-election-namespace", paramLabel = "NS",
      description = "Namespace of the Lease " + OperatorConfig.LEASE_NAME + " through which one of several replicas"
          + " is elected to reconcile; empty for none (env CVMFS_OPERATOR_LEADER_ELECTION_NAMESPACE; default none).")
  String leaseNamespace;

  @Option(names = "--log-format", paramLabel = "text|json",
      description = "Log lines as text or as one JSON object each, on standard error (env CVMFS_LOG_FORMAT; default "
          + DEFAULT_LOG_FORMAT + ").")
  String logFormat;

  @Spec
  CommandSpec spec;

  /**
   * The configuration from the flags, falling back to {@code env}, then to the defaults.
   *
   * @throws IllegalArgumentException naming the flag and variable of a value that does not parse
   */
  OperatorConfig config(Map<String, String> env) {
    String namespaceList = value(namespaces, env, "CVMFS_OPERATOR_NAMESPACES", "");
    Set<String> watched = Arrays.stream(namespaceList.split(","))
        .map(String::trim).filter(ns -> !ns.isEmpty()).collect(Collectors.toSet());
    String port = value(healthPort, env, "CVMFS_OPERATOR_HEALTH_PORT", DEFAULT_HEALTH_PORT);
    int parsedPort;
    try {
      parsedPort = Integer.parseInt(port.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--health-port (CVMFS_OPERATOR_HEALTH_PORT): '" + port + "' is not a number");
    }
    return new OperatorConfig(watched,
        value(dataPlaneImage, env, "CVMFS_OPERATOR_DATA_PLANE_IMAGE", OperatorConfig.DEFAULT_DATA_PLANE_IMAGE),
        value(operatorImage, env, "CVMFS_OPERATOR_IMAGE", OperatorConfig.DEFAULT_OPERATOR_IMAGE),
        parsedPort,
        duration("--status-interval", statusInterval, env, "CVMFS_OPERATOR_STATUS_INTERVAL", DEFAULT_STATUS_INTERVAL),
        duration("--publication-check-interval", publicationCheckInterval, env,
            "CVMFS_OPERATOR_PUBLICATION_CHECK_INTERVAL", DEFAULT_PUBLICATION_CHECK_INTERVAL),
        duration("--retry-interval", retryInterval, env, "CVMFS_OPERATOR_RETRY_INTERVAL", DEFAULT_RETRY_INTERVAL),
        value(clusterDomain, env, "CVMFS_OPERATOR_CLUSTER_DOMAIN", OperatorConfig.DEFAULT_CLUSTER_DOMAIN),
        value(leaseNamespace, env, "CVMFS_OPERATOR_LEADER_ELECTION_NAMESPACE", ""),
        logFormat(env));
  }

  /**
   * The log format from the flag, falling back to {@code env}, then to text: the operator's, and
   * the one its data-plane and relay pods are given.
   */
  LogFormat logFormat(Map<String, String> env) {
    String name = value(logFormat, env, "CVMFS_LOG_FORMAT", DEFAULT_LOG_FORMAT);
    try {
      return LogFormat.parse(name);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--log-format (CVMFS_LOG_FORMAT): " + e.getMessage());
    }
  }

  /** A blank variable counts as unset: templates often render an empty value for "not configured". */
  private static String value(String flag, Map<String, String> env, String variable, String fallback) {
    if (flag != null) {
      return flag;
    }
    String fromEnv = env.get(variable);
    return fromEnv == null || fromEnv.isBlank() ? fallback : fromEnv;
  }

  private static Duration duration(String option, String flag, Map<String, String> env, String variable,
      String fallback) {
    String text = value(flag, env, variable, fallback);
    try {
      return Ttl.parse(text);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(option + " (" + variable + "): '" + text
          + "' is not a duration; use seconds or a number with s, m, h or d, e.g. 30s");
    }
  }

  @Override
  public Integer call() throws Exception {
    OperatorConfig config;
    try {
      config = config(System.getenv());
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage(), e);
    }
    LogSetup.configure(config.logFormat());
    AtomicReference<CvmfsOperator> running = new AtomicReference<>();
    OperatorMetrics metrics = new OperatorMetrics();
    HealthServer health = null;
    if (config.healthPort() >= 0) {
      // Bound first, so that a port in use is reported as what it is, not as a failure of the API.
      try {
        health = HealthServer.start(new InetSocketAddress(config.healthPort()),
            () -> running.get() != null && running.get().healthy(),
            () -> running.get() != null && running.get().started() && running.get().healthy(), metrics::scrape);
      } catch (IOException e) {
        throw new IllegalStateException("cannot serve the health probes on port " + config.healthPort() + ": "
            + Main.describe(e), e);
      }
    }
    KubernetesClient client = new KubernetesClientBuilder().build();
    CvmfsOperator operator;
    try {
      operator = CvmfsOperator.start(client, config, DataPlaneLocator.inCluster(config.clusterDomain()), Clock.systemUTC(),
          o -> o.withMetrics(metrics.framework()));
      running.set(operator);
    } catch (RuntimeException e) {
      stop(health, null, client);
      throw new IllegalStateException("cannot run the operator against the Kubernetes API at " + client.getMasterUrl()
          + ": " + Main.describe(e), e);
    }
    HealthServer probes = health;
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      LOG.info("stopping");
      stop(probes, operator, client);
    }, "shutdown"));
    LOG.info("running; watching {}; probes {}",
        config.namespaces().isEmpty() ? "all namespaces" : String.join(",", config.namespaces()),
        health == null ? "off" : "on port " + health.port());
    // The controllers run on their own threads; the shutdown hook ends the process on SIGTERM.
    Thread.currentThread().join();
    return 0;
  }

  /** Stops what was started, in reverse order; null for what did not start. */
  private static void stop(HealthServer health, CvmfsOperator operator, KubernetesClient client) {
    if (health != null) {
      health.close();
    }
    if (operator != null) {
      operator.close();
    }
    client.close();
  }
}
