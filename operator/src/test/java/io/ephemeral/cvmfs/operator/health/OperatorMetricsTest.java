package io.ephemeral.cvmfs.operator.health;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ephemeral.cvmfs.operator.CvmfsOperator;
import io.ephemeral.cvmfs.operator.MockCluster;
import io.ephemeral.cvmfs.operator.OperatorConfig;
import io.ephemeral.cvmfs.operator.api.CvmfsRepository;
import io.ephemeral.cvmfs.operator.api.CvmfsRepositorySpec;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** {@code /metrics} of the health server while the operator reconciles against a mock API server. */
@EnableKubernetesMockClient(crud = true)
class OperatorMetricsTest {

  KubernetesClient client;

  @Test
  void reconciliationsAndTheJvmAreScrapedWithoutNaN() throws Exception {
    MockCluster.installCrds(client);
    OperatorMetrics metrics = new OperatorMetrics();
    CvmfsOperator operator = MockCluster.startOperator(client, OperatorConfig.local(),
        r -> URI.create("http://127.0.0.1:1"), o -> o.withMetrics(metrics.framework()));
    try (HealthServer health = HealthServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
        () -> true, () -> true, metrics::scrape)) {
      CvmfsRepository repository = new CvmfsRepository();
      repository.setMetadata(new ObjectMetaBuilder().withName("metered").withNamespace("ci").build());
      repository.setSpec(CvmfsRepositorySpec.defaults().withFqrn("metered.example.org"));
      client.resource(repository).create();

      HttpClient http = HttpClient.newHttpClient();
      URI uri = URI.create("http://127.0.0.1:" + health.port() + "/metrics");
      AtomicReference<HttpResponse<String>> last = new AtomicReference<>();
      // Until one has ended: stopping the operator mid-reconciliation would interrupt it.
      MockCluster.await("a finished reconciliation in the metrics", Duration.ofSeconds(60), () -> {
        try {
          last.set(http.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString()));
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
        String body = last.get().body();
        return body.contains("operator_sdk_reconciliations_success_total{")
            || body.contains("operator_sdk_reconciliations_failed_total{");
      });
      HttpResponse<String> response = last.get();
      assertEquals(200, response.statusCode());
      assertTrue(response.headers().firstValue("Content-Type").orElse("").startsWith("text/plain; version=0.0.4"));
      String scrape = response.body();
      assertFalse(scrape.contains("NaN"), scrape);
      assertTrue(scrape.contains("operator_sdk_reconciliations_started_total{"), scrape);
      assertTrue(scrape.contains("kind=\"CvmfsRepository\""), scrape);
      for (String meter : List.of("operator_sdk_events_received_total", "jvm_memory_used_bytes",
          "jvm_threads_live_threads", "process_uptime_seconds", "process_files_open_files", "system_cpu_count")) {
        assertTrue(scrape.contains(meter), meter + " missing:\n" + scrape);
      }
    } finally {
      operator.close();
    }
  }
}
