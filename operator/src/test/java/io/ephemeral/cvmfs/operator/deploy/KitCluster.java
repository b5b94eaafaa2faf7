package io.ephemeral.cvmfs.operator.deploy;

import static org.junit.jupiter.api.Assertions.fail;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Assumptions;

/**
 * A real kube-apiserver, controller-manager and etcd: the throwaway cluster that .ci/run starts
 * with the Kubernetes test kit ({@code k8s up}). Where none runs, the tests that need it are
 * skipped with the reason, unless {@code CVMFS_REQUIRE_CLUSTER=true} (as .ci/run sets it) makes
 * its absence a failure.
 */
final class KitCluster {

  static final String FIELD_MANAGER = "cvmfs-ephemeral-tests";

  private KitCluster() {
  }

  /** {@code $K8S_STATE/kubeconfig}, the kit's admin credentials. */
  static Path kubeconfig() {
    return Path.of(System.getenv().getOrDefault("K8S_STATE", "/var/tmp/k8s-kit"), "kubeconfig");
  }

  /** An admin client of the kit's cluster; skips (or fails, where required) the test without one. */
  static KubernetesClient connect() {
    String why = null;
    KubernetesClient client = null;
    if (!Files.isReadable(kubeconfig())) {
      why = "no Kubernetes test cluster: " + kubeconfig() + " does not exist (start one with `k8s up` from the"
          + " test kit, as .ci/run does)";
    } else {
      try {
        client = new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(Files.readString(kubeconfig()))).build();
        client.getKubernetesVersion();
      } catch (IOException | KubernetesClientException e) {
        why = "the Kubernetes test cluster of " + kubeconfig() + " does not answer: " + e.getMessage();
      }
    }
    if (why != null) {
      if (Boolean.parseBoolean(System.getenv("CVMFS_REQUIRE_CLUSTER"))) {
        fail(why);
      }
      // Surefire counts a class aborted in @BeforeAll as zero tests: say why where it shows.
      System.err.println("skipping the real-cluster tests: " + why);
      Assumptions.assumeTrue(false, why);
    }
    return client;
  }

  /** A client that acts as a ServiceAccount, with the groups the API server gives one. */
  static KubernetesClient as(KubernetesClient admin, String namespace, String serviceAccount) {
    Config config = new io.fabric8.kubernetes.client.ConfigBuilder(admin.getConfiguration())
        .withImpersonateUsername("system:serviceaccount:" + namespace + ":" + serviceAccount)
        .withImpersonateGroups("system:serviceaccounts", "system:serviceaccounts:" + namespace, "system:authenticated")
        .build();
    return new KubernetesClientBuilder().withConfig(config).build();
  }

  /** A namespace of its own for one test class, with a random suffix. */
  static String createNamespace(KubernetesClient client, String prefix) {
    String name = prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(name).endMetadata().build()).create();
    return name;
  }

  static void deleteNamespace(KubernetesClient client, String name) {
    client.namespaces().withName(name).withTimeout(0, TimeUnit.SECONDS).delete();
  }

  /** {@code kubectl apply --server-side --force-conflicts}, the one install and upgrade method the README gives. */
  static void apply(KubernetesClient client, List<HasMetadata> objects) {
    for (HasMetadata object : objects) {
      client.resource(object).fieldManager(FIELD_MANAGER).forceConflicts().serverSideApply();
    }
  }

  /** Applies the checked-in CRDs and waits until the API server serves them. */
  static void installCrds(KubernetesClient client) {
    for (String file : DeployFiles.CRD_FILES) {
      CustomResourceDefinition crd = client.getKubernetesSerialization().unmarshal(
          DeployFiles.read(DeployFiles.project().resolve("crds").resolve(file)), CustomResourceDefinition.class);
      client.resource(crd).fieldManager(FIELD_MANAGER).forceConflicts().serverSideApply();
      client.apiextensions().v1().customResourceDefinitions().withName(crd.getMetadata().getName())
          .waitUntilCondition(c -> c != null && c.getStatus() != null && c.getStatus().getConditions() != null
              && c.getStatus().getConditions().stream()
              .anyMatch(k -> "Established".equals(k.getType()) && "True".equals(k.getStatus())), 30, TimeUnit.SECONDS);
    }
  }

  static void await(String what, Duration timeout, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        fail("timed out after " + timeout.toSeconds() + " s waiting for " + what);
      }
      Thread.sleep(100);
    }
  }
}
