package io.ephemeral.cvmfs.operator;

import io.ephemeral.cvmfs.operator.api.CvmfsPublication;
import io.ephemeral.cvmfs.operator.api.CvmfsRepository;
import io.ephemeral.cvmfs.operator.dataplane.DataPlaneLocator;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.config.ConfigurationServiceOverrider;
import java.io.IOException;
import java.io.InputStream;
import java.time.Clock;
import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/** The operator on a mock API server in CRUD mode, as the tests run it. */
public final class MockCluster {

  private MockCluster() {
  }

  /** Installs the generated CRDs, so that the mock server knows their status subresource. */
  public static void installCrds(KubernetesClient client) throws IOException {
    for (Class<?> type : new Class<?>[] {CvmfsRepository.class, CvmfsPublication.class}) {
      String plural = type == CvmfsRepository.class ? "cvmfsrepositories" : "cvmfspublications";
      try (InputStream in = MockCluster.class.getResourceAsStream(
          "/META-INF/fabric8/" + plural + "." + CvmfsRepository.GROUP + "-v1.yml")) {
        CustomResourceDefinition crd = client.getKubernetesSerialization().unmarshal(in, CustomResourceDefinition.class);
        client.apiextensions().v1().customResourceDefinitions().resource(crd).create();
      }
    }
  }

  /** Starts the operator without server-side apply, which the mock server does not support. */
  public static CvmfsOperator startOperator(KubernetesClient client, OperatorConfig config, DataPlaneLocator locator) {
    return startOperator(client, config, locator, o -> { });
  }

  /** The same, with {@code more} settings of the framework. */
  public static CvmfsOperator startOperator(KubernetesClient client, OperatorConfig config, DataPlaneLocator locator,
      Consumer<ConfigurationServiceOverrider> more) {
    return CvmfsOperator.start(client, config, locator, Clock.systemUTC(), o -> {
      o.withSSABasedCreateUpdateMatchForDependentResources(false)
          .withUseSSAToPatchPrimaryResource(false)
          .checkingCRDAndValidateLocalModel(false)
          .withCloseClientOnStop(false);
      more.accept(o);
    });
  }

  public static void await(String what, Duration timeout, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what);
      }
      Thread.sleep(50);
    }
  }
}
