package io.ephemeral.cvmfs.operator;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.ephemeral.cvmfs.common.observability.LogFormat;
import io.ephemeral.cvmfs.operator.api.CvmfsRepository;
import io.ephemeral.cvmfs.operator.api.CvmfsRepositorySpec;
import io.ephemeral.cvmfs.operator.dataplane.DataPlaneLocator;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectRulesReviewBuilder;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.net.URI;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Two operator replicas: only the holder of the Lease reconciles, and the other takes over when it goes. */
@EnableKubernetesMockClient(crud = true)
class LeaderElectionTest {

  private static final String LEASE_NAMESPACE = "cvmfs-ephemeral-system";
  private static final Duration WAIT = Duration.ofSeconds(40);

  KubernetesClient client;
  KubernetesMockServer server;

  /** Each replica runs its own data-plane image, so a Deployment tells which replica wrote it. */
  private static OperatorConfig replica(String image) {
    OperatorConfig local = OperatorConfig.local();
    return new OperatorConfig(local.namespaces(), image, local.operatorImage(), -1, local.statusInterval(),
        local.publicationCheckInterval(), local.retryInterval(), local.clusterDomain(), LEASE_NAMESPACE,
        LogFormat.TEXT);
  }

  @Test
  void onlyTheLeaderReconcilesAndTheOtherTakesOver() throws Exception {
    MockCluster.installCrds(client);
    // The framework asks, before it runs for the Lease, whether it may use Leases; the mock
    // server has no authorizer, so it answers as the API server does for the installed Role.
    server.expect().post().withPath("/apis/authorization.k8s.io/v1/selfsubjectrulesreviews")
        .andReturn(201, new SelfSubjectRulesReviewBuilder().withNewStatus().addNewResourceRule()
            .withApiGroups("coordination.k8s.io").withResources("leases").withVerbs("get", "create", "update", "patch")
            .endResourceRule().withIncomplete(false).endStatus().build())
        .always();
    DataPlaneLocator nowhere = r -> URI.create("http://127.0.0.1:1");
    CvmfsOperator first = MockCluster.startOperator(client, replica("first/data-plane:1"), nowhere);
    MockCluster.await("a Lease held by the first replica", WAIT, () -> holder() != null);
    String firstHolder = holder();
    try (CvmfsOperator second = MockCluster.startOperator(client, replica("second/data-plane:1"), nowhere)) {
      create("one");
      MockCluster.await("the leader's Deployment for one", WAIT, () -> "first/data-plane:1".equals(image("one")));
      Thread.sleep(3000);
      assertEquals("first/data-plane:1", image("one"), "the replica that does not hold the Lease reconciled");
      assertEquals(firstHolder, holder());

      first.close();
      MockCluster.await("the second replica taking the Lease", WAIT,
          () -> holder() != null && !holder().equals(firstHolder));
      create("two");
      MockCluster.await("the new leader's Deployments", WAIT,
          () -> "second/data-plane:1".equals(image("two")) && "second/data-plane:1".equals(image("one")));
    } finally {
      first.close();
    }
  }

  private String image(String repository) {
    Deployment deployment = client.apps().deployments().inNamespace("ci").withName(repository + "-data-plane").get();
    return deployment == null ? null : deployment.getSpec().getTemplate().getSpec().getContainers().get(0).getImage();
  }

  private String holder() {
    Lease lease = client.leases().inNamespace(LEASE_NAMESPACE).withName(OperatorConfig.LEASE_NAME).get();
    return lease == null || lease.getSpec() == null ? null : lease.getSpec().getHolderIdentity();
  }

  private void create(String name) {
    CvmfsRepository repository = new CvmfsRepository();
    repository.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace("ci").build());
    repository.setSpec(CvmfsRepositorySpec.defaults().withFqrn(name + ".example.org"));
    client.resource(repository).create();
  }
}
