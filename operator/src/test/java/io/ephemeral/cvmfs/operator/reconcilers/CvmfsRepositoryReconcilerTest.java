package io.ephemeral.cvmfs.operator.reconcilers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ephemeral.cvmfs.operator.CvmfsOperator;
import io.ephemeral.cvmfs.operator.MockCluster;
import io.ephemeral.cvmfs.operator.OperatorConfig;
import io.ephemeral.cvmfs.operator.api.CvmfsRepository;
import io.ephemeral.cvmfs.operator.api.CvmfsRepositorySpec;
import io.ephemeral.cvmfs.operator.dataplane.DataPlaneLocator;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.net.URI;
import java.time.Duration;
import org.junit.jupiter.api.Test;

@EnableKubernetesMockClient(crud = true)
class CvmfsRepositoryReconcilerTest {

  static final String NS = "ci";
  KubernetesClient client;

  @Test
  void firstReconcileCreatesEveryDependent() throws Exception {
    MockCluster.installCrds(client);
    try (CvmfsOperator operator = MockCluster.startOperator(client, OperatorConfig.local(),
        r -> URI.create("http://127.0.0.1:1"))) {
      CvmfsRepository repository = new CvmfsRepository();
      repository.setMetadata(new ObjectMetaBuilder().withName("builds").withNamespace(NS).build());
      repository.setSpec(CvmfsRepositorySpec.defaults().withFqrn("builds.example.org"));
      client.resource(repository).create();
      MockCluster.await("the keys Secret", Duration.ofSeconds(20),
          () -> client.secrets().inNamespace(NS).withName("builds-keys").get() != null);
      MockCluster.await("the CronJob", Duration.ofSeconds(20),
          () -> client.batch().v1().cronjobs().inNamespace(NS).withName("builds-maintenance").get() != null);
      Secret keys = client.secrets().inNamespace(NS).withName("builds-keys").get();
      assertNotNull(keys.getData().get("builds.example.org.cvmfswhitelist"));
      MockCluster.await("a status", Duration.ofSeconds(20), () -> {
        CvmfsRepository r = client.resources(CvmfsRepository.class).inNamespace(NS).withName("builds").get();
        return r.getStatus() != null && r.getStatus().publicKeyFingerprint() != null;
      });
      CvmfsRepository r = client.resources(CvmfsRepository.class).inNamespace(NS).withName("builds").get();
      System.out.println(r.getStatus());
      assertTrue(r.getStatus().conditions().size() >= 4);
      assertEquals("builds.example.org", r.getStatus().fqrn());
    }
  }
}
