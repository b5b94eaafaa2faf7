package io.ephemeral.cvmfs.operator;

import io.ephemeral.cvmfs.common.observability.LogFormat;
import java.time.Duration;
import java.util.Set;

/**
 * Everything the operator process is configured with, gathered from flags and environment by
 * the {@code run} command.
 *
 * @param namespaces namespaces to watch; empty means all
 * @param dataPlaneImage image of the data-plane workloads
 * @param operatorImage the operator's own image, which the maintenance CronJob runs
 * @param healthPort port of {@code /healthz} and {@code /readyz}; 0 picks one, -1 disables them
 * @param statusInterval how often a repository's status (revision, whitelist) is refreshed
 * @param publicationCheckInterval how often a published path is checked on the data plane
 * @param retryInterval how long a publication first waits for its data plane or source; doubled
 *     after each failed attempt, up to 5 minutes (its repository and token are watched instead)
 * @param clusterDomain the cluster's DNS domain, in the Service names clients are given
 * @param leaseNamespace where the leader-election Lease lives; empty: no leader election, for a
 *     single operator outside a cluster
 * @param logFormat how the operator logs, and so the data-plane and relay pods it makes, so that
 *     one collector reads them all
 */
public record OperatorConfig(
    Set<String> namespaces,
    String dataPlaneImage,
    String operatorImage,
    int healthPort,
    Duration statusInterval,
    Duration publicationCheckInterval,
    Duration retryInterval,
    String clusterDomain,
    String leaseNamespace,
    LogFormat logFormat) {

  public static final String DEFAULT_DATA_PLANE_IMAGE = "ghcr.io/cvmfs-ephemeral/data-plane:0.1.0";
  public static final String DEFAULT_OPERATOR_IMAGE = "ghcr.io/cvmfs-ephemeral/operator:0.1.0";
  public static final String DEFAULT_CLUSTER_DOMAIN = "cluster.local";
  /** The Lease whose holder is the one operator replica that reconciles. */
  public static final String LEASE_NAME = "cvmfs-ephemeral-operator";

  public OperatorConfig {
    namespaces = Set.copyOf(namespaces);
    leaseNamespace = leaseNamespace == null ? "" : leaseNamespace.trim();
    logFormat = logFormat == null ? LogFormat.TEXT : logFormat;
    if (healthPort < -1 || healthPort > 65535) {
      throw new IllegalArgumentException("the health port must be -1 to 65535");
    }
    if (!clusterDomain.matches("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")) {
      throw new IllegalArgumentException("the cluster domain must be a DNS name, e.g. cluster.local: '"
          + clusterDomain + "'");
    }
  }

  public boolean leaderElection() {
    return !leaseNamespace.isEmpty();
  }

  /** The same configuration with leader election through a Lease in {@code namespace}. */
  public OperatorConfig withLeaseNamespace(String namespace) {
    return new OperatorConfig(namespaces, dataPlaneImage, operatorImage, healthPort, statusInterval,
        publicationCheckInterval, retryInterval, clusterDomain, namespace, logFormat);
  }

  /** Defaults for tests and embedding: all namespaces, no health port, short intervals. */
  public static OperatorConfig local() {
    return new OperatorConfig(Set.of(), DEFAULT_DATA_PLANE_IMAGE, DEFAULT_OPERATOR_IMAGE, -1,
        Duration.ofSeconds(2), Duration.ofSeconds(1), Duration.ofSeconds(1), DEFAULT_CLUSTER_DOMAIN, "", LogFormat.TEXT);
  }
}
