package io.ephemeral.cvmfs.operator.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ephemeral.cvmfs.common.observability.LogFormat;
import io.ephemeral.cvmfs.operator.CvmfsOperator;
import io.ephemeral.cvmfs.operator.OperatorConfig;
import io.ephemeral.cvmfs.operator.api.Condition;
import io.ephemeral.cvmfs.operator.api.CvmfsPublication;
import io.ephemeral.cvmfs.operator.api.CvmfsRepository;
import io.ephemeral.cvmfs.operator.api.CvmfsRepositorySpec;
import io.ephemeral.cvmfs.operator.api.ObjectStorage;
import io.ephemeral.cvmfs.operator.api.Storage;
import io.ephemeral.cvmfs.operator.dependents.RepositoryResources;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.batch.v1.CronJob;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The operator against a real API server, under exactly the ServiceAccount and ClusterRole that
 * kustomize or the chart give it: names the API server checks, owner references its garbage
 * collector follows, and no request it refuses. The kit's control plane runs no kubelet, so the
 * data plane never becomes ready here; everything up to it does.
 */
class RealClusterOperatorTest {

  private static final Duration WAIT = Duration.ofSeconds(60);
  /** Makes a DNS subdomain of 63 characters, so that the label-safe stem must cut and hash it. */
  private static final String LONG_NAME = ".pipelines.example.org." + "a".repeat(63);

  private static KubernetesClient admin;
  private static String namespace;

  @BeforeAll
  static void connect() {
    admin = KitCluster.connect();
    KitCluster.installCrds(admin);
    namespace = KitCluster.createNamespace(admin, "operator-test");
  }

  @AfterAll
  static void cleanUp() {
    if (admin != null) {
      KitCluster.deleteNamespace(admin, namespace);
      admin.close();
    }
  }

  /** The operator's ServiceAccount and cluster-wide permissions, as one install method makes them. */
  private static List<HasMetadata> rbac(String method) {
    List<HasMetadata> objects = method.equals("kustomize")
        ? DeployFiles.parse(KustomizeTest.kustomize("config/default")) : HelmChartTest.renderDefaults();
    return objects.stream()
        .filter(o -> o instanceof ServiceAccount || o instanceof ClusterRole || o instanceof ClusterRoleBinding
            || o instanceof Role || o instanceof RoleBinding || "Namespace".equals(o.getKind()))
        .collect(Collectors.toList());
  }

  @ParameterizedTest(name = "RBAC of {0}")
  @ValueSource(strings = {"kustomize", "chart"})
  void dottedAndLongNamesBecomeValidDependentsOwnedByTheRepository(String method) throws Exception {
    List<HasMetadata> rbac = rbac(method);
    KitCluster.apply(admin, rbac);
    ServiceAccount account = (ServiceAccount) rbac.stream().filter(o -> o instanceof ServiceAccount).findFirst()
        .orElseThrow();
    List<String> names = List.of(method + ".example.org", (method + LONG_NAME).substring(0, 63));
    try (KubernetesClient asOperator = KitCluster.as(admin, account.getMetadata().getNamespace(),
        account.getMetadata().getName());
        CvmfsOperator operator = CvmfsOperator.start(asOperator, config(), r -> URI.create("http://127.0.0.1:1"),
            Clock.systemUTC(), o -> o.withCloseClientOnStop(false))) {
      List<CvmfsRepository> repositories = new ArrayList<>();
      for (String name : names) {
        CvmfsRepository repository = new CvmfsRepository();
        repository.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(namespace).build());
        // The documented default: the fqrn is the object's name.
        repository.setSpec(CvmfsRepositorySpec.defaults());
        repositories.add(admin.resource(repository).create());
      }
      assertTheLeaseIsRenewed();
      for (CvmfsRepository repository : repositories) {
        assertDependentsOwnedBy(repository);
        CvmfsRepository observed = awaitReadyCondition(repository);
        var ready = observed.getStatus().conditions().stream().filter(c -> c.type().equals("Ready")).findFirst()
            .orElseThrow();
        assertEquals(Condition.Status.False, ready.status(), "no kubelet, so no data plane: " + ready);
        assertEquals("DataPlaneNotReady", ready.reason(), ready.message());
        assertNotNull(observed.getStatus().publicKeyFingerprint(), "keys were made under the operator's own RBAC");
      }
      for (CvmfsRepository repository : repositories) {
        admin.resource(repository).delete();
      }
      for (CvmfsRepository repository : repositories) {
        // The API server's garbage collector, not the operator, removes what the repository owned.
        String service = RepositoryResources.service(repository);
        KitCluster.await("garbage collection of " + service, Duration.ofSeconds(90),
            () -> admin.services().inNamespace(namespace).withName(service).get() == null
                && admin.apps().deployments().inNamespace(namespace)
                    .withName(RepositoryResources.dataPlane(repository)).get() == null);
      }
    } finally {
      rbac.stream().filter(o -> !"Namespace".equals(o.getKind())).forEach(o -> admin.resource(o).delete());
    }
  }

  /**
   * The README's uninstall: custom resources first, while the operator still runs to release
   * their finalizers, then the install itself. A publication that was never published goes at
   * once although its data plane cannot be reached.
   */
  @Test
  void theDocumentedUninstallOrderLeavesNothingStuck() throws Exception {
    List<HasMetadata> rbac = rbac("kustomize");
    KitCluster.apply(admin, rbac);
    try (KubernetesClient asOperator = KitCluster.as(admin, "cvmfs-ephemeral-system", "cvmfs-ephemeral-operator");
        CvmfsOperator operator = CvmfsOperator.start(asOperator, config(), r -> URI.create("http://127.0.0.1:1"),
            Clock.systemUTC(), o -> o.withCloseClientOnStop(false))) {
      CvmfsRepository repository = new CvmfsRepository();
      repository.setMetadata(new ObjectMetaBuilder().withName("uninstall.example.org").withNamespace(namespace).build());
      repository.setSpec(CvmfsRepositorySpec.defaults());
      admin.resource(repository).create();
      GenericKubernetesResource publication = admin.getKubernetesSerialization().unmarshal(
          RealClusterInstallTest.publication("never-published", "a/b").replace("repository: demo",
              "repository: uninstall.example.org"), GenericKubernetesResource.class);
      publication.getMetadata().setNamespace(namespace);
      admin.resource(publication).create();
      KitCluster.await("the operator's finalizer on the publication", WAIT, () -> {
        GenericKubernetesResource current = admin.resource(publication).get();
        return current != null && !current.getMetadata().getFinalizers().isEmpty();
      });
      // Its data plane cannot be reached: the publication waits with a steady status (the real
      // API server would answer a stale write with 409) and one event for the whole wait.
      KitCluster.await("the publication's waiting status", WAIT, () -> {
        Map<String, Object> status = admin.resource(publication).get().get("status");
        return status != null && "Pending".equals(status.get("phase"));
      });
      // What it waits for settles first: the repository gets its keys, then waits for its pods.
      KitCluster.await("the repository's settled status", WAIT, () -> {
        CvmfsRepository current = admin.resource(repository).get();
        return current.getStatus() != null && current.getStatus().publicKeyFingerprint() != null;
      });
      Thread.sleep(3000);
      String waiting = admin.resource(publication).get().getMetadata().getResourceVersion();
      Thread.sleep(5000);
      assertEquals(waiting, admin.resource(publication).get().getMetadata().getResourceVersion(),
          "the status of a waiting publication was written again");
      List<String> warnings = admin.v1().events().inNamespace(namespace).list().getItems().stream()
          .filter(e -> "never-published".equals(e.getInvolvedObject().getName()) && "Warning".equals(e.getType()))
          .map(e -> e.getReason() + ": " + e.getMessage()).toList();
      assertTrue(warnings.size() <= 1, warnings.size() + " warnings for one wait: " + warnings);

      long started = System.nanoTime();
      admin.resources(CvmfsPublication.class).inNamespace(namespace).delete();
      admin.resources(CvmfsRepository.class).inNamespace(namespace).delete();
      KitCluster.await("every publication and repository gone", Duration.ofSeconds(30),
          () -> admin.resources(CvmfsPublication.class).inNamespace(namespace).list().getItems().isEmpty()
              && admin.resources(CvmfsRepository.class).inNamespace(namespace).list().getItems().isEmpty());
      assertTrue(Duration.ofNanos(System.nanoTime() - started).toSeconds() < 20,
          "deletion waited on an unreachable data plane");
    } finally {
      rbac.stream().filter(o -> !"Namespace".equals(o.getKind())).forEach(o -> admin.resource(o).delete());
    }
  }

  /**
   * Replicas of a repository in a bucket get a disruption budget, which the operator deletes when
   * they drop to one: under the installed ClusterRole, which must let it. Back on a data volume the
   * Deployment turns from rolling to Recreate, which the API server takes only without the
   * rollingUpdate settings that server-side apply must drop.
   */
  @Test
  void theDataPlaneBudgetComesAndGoesWithTheReplicas() throws Exception {
    List<HasMetadata> rbac = rbac("chart");
    KitCluster.apply(admin, rbac);
    ServiceAccount account = (ServiceAccount) rbac.stream().filter(o -> o instanceof ServiceAccount).findFirst()
        .orElseThrow();
    try (KubernetesClient asOperator = KitCluster.as(admin, account.getMetadata().getNamespace(),
        account.getMetadata().getName());
        CvmfsOperator operator = CvmfsOperator.start(asOperator, config(), r -> URI.create("http://127.0.0.1:1"),
            Clock.systemUTC(), o -> o.withCloseClientOnStop(false))) {
      CvmfsRepository repository = new CvmfsRepository();
      repository.setMetadata(new ObjectMetaBuilder().withName("replicated.example.org").withNamespace(namespace)
          .build());
      repository.setSpec(CvmfsRepositorySpec.defaults().withReplicas(2).withStorage(new Storage(null, null, null,
          new ObjectStorage("cvmfs", "ci", "http://minio.storage:9000", null, true, false, "bucket-credentials", null,
              null))));
      CvmfsRepository created = admin.resource(repository).create();
      var budget = admin.policy().v1().podDisruptionBudget().inNamespace(namespace)
          .withName(RepositoryResources.dataPlane(created));
      var deployment = admin.apps().deployments().inNamespace(namespace).withName(RepositoryResources.dataPlane(created));
      KitCluster.await("the data plane and its budget", WAIT, () -> deployment.get() != null && budget.get() != null);
      Deployment dataPlane = deployment.get();
      assertEquals(2, dataPlane.getSpec().getReplicas());
      assertEquals("RollingUpdate", dataPlane.getSpec().getStrategy().getType());
      assertEquals(dataPlane.getSpec().getSelector().getMatchLabels(), budget.get().getSpec().getSelector()
          .getMatchLabels());

      admin.resources(CvmfsRepository.class).inNamespace(namespace).withName("replicated.example.org")
          .edit(r -> {
            r.setSpec(r.getSpec().withReplicas(1).withStorage(Storage.DEFAULT));
            return r;
          });
      KitCluster.await("the budget deleted with the second replica", WAIT, () -> budget.get() == null);
      KitCluster.await("the data plane recreated rather than rolled", WAIT,
          () -> "Recreate".equals(deployment.get().getSpec().getStrategy().getType()));
      assertEquals(1, deployment.get().getSpec().getReplicas());
      admin.resource(created).delete();
    } finally {
      rbac.stream().filter(o -> !"Namespace".equals(o.getKind())).forEach(o -> admin.resource(o).delete());
    }
  }

  /** The elected replica renews its Lease (by PATCH) every few seconds; without the right, it would lose it. */
  private static void assertTheLeaseIsRenewed() throws InterruptedException {
    var lease = admin.leases().inNamespace("cvmfs-ephemeral-system").withName(OperatorConfig.LEASE_NAME);
    KitCluster.await("the operator's Lease", WAIT, () -> lease.get() != null && lease.get().getSpec().getRenewTime() != null);
    var first = lease.get().getSpec().getRenewTime();
    KitCluster.await("a renewal of the Lease", Duration.ofSeconds(20),
        () -> !first.equals(lease.get().getSpec().getRenewTime()));
  }

  private static OperatorConfig config() {
    OperatorConfig local = OperatorConfig.local();
    // Elected through a Lease in the operator's namespace, as installed: its RBAC must allow that too.
    return new OperatorConfig(Set.of(namespace), local.dataPlaneImage(), local.operatorImage(), -1,
        local.statusInterval(), local.publicationCheckInterval(), local.retryInterval(), local.clusterDomain(),
        "cvmfs-ephemeral-system", LogFormat.TEXT);
  }

  private static CvmfsRepository awaitReadyCondition(CvmfsRepository repository) throws InterruptedException {
    KitCluster.await("the status of " + repository.getMetadata().getName(), WAIT, () -> {
      CvmfsRepository current = admin.resource(repository).get();
      return current.getStatus() != null && current.getStatus().publicKeyFingerprint() != null;
    });
    return admin.resource(repository).get();
  }

  private static void assertDependentsOwnedBy(CvmfsRepository created) throws InterruptedException {
    CvmfsRepository repository = admin.resource(created).get();
    List<HasMetadata> expected = new ArrayList<>();
    KitCluster.await("the dependents of " + repository.getMetadata().getName(), WAIT, () -> {
      expected.clear();
      for (var lookup : List.<java.util.function.Supplier<HasMetadata>>of(
          () -> admin.secrets().inNamespace(namespace).withName(RepositoryResources.keysSecret(repository)).get(),
          () -> admin.secrets().inNamespace(namespace).withName(RepositoryResources.masterKeySecret(repository)).get(),
          () -> admin.secrets().inNamespace(namespace).withName(RepositoryResources.tokenSecret(repository)).get(),
          () -> admin.apps().deployments().inNamespace(namespace).withName(RepositoryResources.dataPlane(repository))
              .get(),
          () -> admin.services().inNamespace(namespace).withName(RepositoryResources.service(repository)).get(),
          () -> admin.apps().deployments().inNamespace(namespace)
              .withName(RepositoryResources.notificationRelay(repository)).get(),
          () -> admin.services().inNamespace(namespace).withName(RepositoryResources.notificationRelay(repository))
              .get(),
          () -> admin.policy().v1().podDisruptionBudget().inNamespace(namespace)
              .withName(RepositoryResources.notificationRelay(repository)).get(),
          () -> admin.configMaps().inNamespace(namespace).withName(RepositoryResources.clientConfig(repository)).get(),
          () -> admin.batch().v1().cronjobs().inNamespace(namespace)
              .withName(RepositoryResources.maintenance(repository)).get(),
          () -> admin.serviceAccounts().inNamespace(namespace).withName(RepositoryResources.maintenance(repository))
              .get(),
          () -> admin.rbac().roles().inNamespace(namespace).withName(RepositoryResources.maintenance(repository)).get(),
          () -> admin.rbac().roleBindings().inNamespace(namespace)
              .withName(RepositoryResources.maintenance(repository)).get())) {
        HasMetadata found = lookup.get();
        if (found == null) {
          return false;
        }
        expected.add(found);
      }
      return true;
    });
    Set<Class<?>> kinds = expected.stream().map(Object::getClass).collect(Collectors.toSet());
    assertEquals(Set.of(Secret.class, Deployment.class, Service.class, ConfigMap.class, CronJob.class,
        ServiceAccount.class, Role.class, RoleBinding.class, PodDisruptionBudget.class), kinds);
    for (HasMetadata dependent : expected) {
      String what = dependent.getKind() + "/" + dependent.getMetadata().getName();
      assertTrue(dependent.getMetadata().getName().length() <= 63, what);
      List<OwnerReference> owners = dependent.getMetadata().getOwnerReferences();
      assertEquals(1, owners.size(), what + " has one owner: " + owners);
      OwnerReference owner = owners.get(0);
      assertEquals(repository.getMetadata().getUid(), owner.getUid(), what);
      assertEquals(Boolean.TRUE, owner.getController(), what + " names its controller");
      assertEquals(Boolean.TRUE, owner.getBlockOwnerDeletion(), what + " blocks a foreground deletion of its owner");
    }
  }
}
