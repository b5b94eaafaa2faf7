package io.ephemeral.cvmfs.operator.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * What the API server judges, judged by a real one: the CRDs of every install method, the
 * kustomize and Helm installs, the samples, and the schema's refusals with their messages.
 */
class RealClusterInstallTest {

  private static KubernetesClient client;
  private static String namespace;

  @BeforeAll
  static void connect() {
    client = KitCluster.connect();
    KitCluster.installCrds(client);
    namespace = KitCluster.createNamespace(client, "install-test");
  }

  @AfterAll
  static void cleanUp() {
    if (client != null) {
      KitCluster.deleteNamespace(client, namespace);
      client.close();
    }
  }

  @Test
  void everyShippedCopyOfTheCrdsIsAccepted() {
    for (String copy : List.of("crds", "charts/cvmfs-ephemeral/crds", "config/crd/bases")) {
      for (String file : DeployFiles.CRD_FILES) {
        CustomResourceDefinition crd = client.getKubernetesSerialization().unmarshal(
            DeployFiles.read(DeployFiles.project().resolve(copy).resolve(file)), CustomResourceDefinition.class);
        HasMetadata applied = client.resource(crd).fieldManager(KitCluster.FIELD_MANAGER).forceConflicts()
            .serverSideApply();
        assertNotNull(applied.getMetadata().getUid(), copy + "/" + file);
      }
    }
  }

  /** Both install methods, each applied twice as an upgrade would, then the other on top: no conflict. */
  /** kubectl shows the columns in the CRD's order; a date column would render a future expiry as <invalid>. */
  @Test
  void printerColumnsAreServedInTheirOrderWithAgeLast() {
    for (String crd : List.of("cvmfsrepositories.cvmfs.ephemeral.io", "cvmfspublications.cvmfs.ephemeral.io")) {
      var columns = client.apiextensions().v1().customResourceDefinitions().withName(crd).get()
          .getSpec().getVersions().get(0).getAdditionalPrinterColumns();
      assertEquals("Age", columns.get(columns.size() - 1).getName(), crd);
      columns.stream().filter(c -> c.getName().equals("Expires"))
          .forEach(c -> assertEquals("string", c.getType(), crd + " shows the expiry as it is"));
    }
    var publication = client.apiextensions().v1().customResourceDefinitions()
        .withName("cvmfspublications.cvmfs.ephemeral.io").get().getSpec().getVersions().get(0);
    assertEquals(List.of("Repository", "Path", "Phase", "Revision", "Expires", "Message", "Age"),
        publication.getAdditionalPrinterColumns().stream().map(c -> c.getName()).collect(Collectors.toList()));
    assertTrue(!publication.getSchema().getOpenAPIV3Schema().getProperties().get("spec").getDescription().isBlank(),
        "kubectl explain has a description of spec");
  }

  @Test
  void kustomizeAndTheChartInstallAndUpgradeServerSide() {
    List<HasMetadata> kustomized = DeployFiles.parse(KustomizeTest.kustomize("config/default"));
    List<HasMetadata> chart = HelmChartTest.renderDefaults();
    try {
      KitCluster.apply(client, kustomized);
      KitCluster.apply(client, kustomized);
      KitCluster.apply(client, chart);
      KitCluster.apply(client, chart);
      for (HasMetadata object : Stream.concat(kustomized.stream(), chart.stream()).collect(Collectors.toList())) {
        assertNotNull(client.resource(object).get(), () -> "not in the cluster: " + object.getKind() + "/"
            + object.getMetadata().getName());
      }
    } finally {
      Stream.concat(chart.stream(), kustomized.stream())
          .filter(o -> !(o instanceof CustomResourceDefinition))
          .forEach(o -> client.resource(o).delete());
    }
  }

  @Test
  void theSamplesAreAccepted() {
    List<HasMetadata> samples = DeployFiles.parse(KustomizeTest.kustomize("config/samples"));
    try {
      KitCluster.apply(client, samples);
      for (HasMetadata sample : samples) {
        assertNotNull(client.resource(sample).get(), sample.getKind() + "/" + sample.getMetadata().getName());
      }
    } finally {
      samples.stream().filter(o -> "Namespace".equals(o.getKind())).forEach(o -> client.resource(o).delete());
    }
  }

  static Stream<Arguments> invalidObjects() {
    String deep = Stream.generate(() -> "a").limit(65).collect(Collectors.joining("/"));
    return Stream.of(
        Arguments.of(repository("bad-fqrn", "fqrn: Not_A_Name"), "spec.fqrn"),
        Arguments.of(repository("bad-chunks", "chunking: {minSize: 8MiB, averageSize: 8MiB, maxSize: 16MiB}"),
            "chunk sizes must satisfy 32 bytes <= minSize < averageSize < maxSize"),
        Arguments.of(repository("tiny-chunks", "chunking: {minSize: '16', averageSize: 1KiB, maxSize: 2KiB}"),
            "chunk sizes must satisfy"),
        Arguments.of(repository("no-replicas", "replicas: 0"), "spec.replicas"),
        Arguments.of(repository("replicas-without-bucket", "replicas: 2"),
            "replicas above 1 need storage.s3: replicas share the repository through the bucket"),
        Arguments.of(repository("bucket-and-claim", "storage: {type: PersistentVolumeClaim, s3: {bucket: cvmfs}}"),
            "storage.s3 and type PersistentVolumeClaim exclude each other"),
        Arguments.of(repository("no-bucket", "storage: {s3: {prefix: ci}}"), "spec.storage.s3.bucket: Required value"),
        Arguments.of(repository("bad-bucket", "storage: {s3: {bucket: Not_A_Bucket}}"), "spec.storage.s3.bucket"),
        Arguments.of(repository("prefix-up", "storage: {s3: {bucket: cvmfs, prefix: 'ci/../other'}}"),
            "prefix must not contain .."),
        Arguments.of(repository("prefix-gap", "storage: {s3: {bucket: cvmfs, prefix: 'ci//x'}}"),
            "spec.storage.s3.prefix"),
        Arguments.of(repository("bad-endpoint", "storage: {s3: {bucket: cvmfs, endpoint: 'minio:9000'}}"),
            "spec.storage.s3.endpoint"),
        Arguments.of(repository("bad-ttl", "manifestTtl: soon"), "spec.manifestTtl"),
        Arguments.of(publication("dot-dot", "a/../b"), "spec.path"),
        Arguments.of(publication("absolute", "/a"), "spec.path"),
        Arguments.of(publication("too-deep", deep), "path has at most 64 names"),
        Arguments.of(publication("long-name", "a/" + "b".repeat(256)), "each name in path has at most 255 characters"),
        Arguments.of(publication("too-long", String.join("/", "c".repeat(200), "c".repeat(200)).repeat(11)),
            "spec.path"),
        Arguments.of(publication("bad-ttl", "a", "ttl: forever"), "spec.ttl"),
        Arguments.of(publication("no-source", "a", "source: {}"), "spec.source"));
  }

  @ParameterizedTest(name = "{index}: {1}")
  @MethodSource("invalidObjects")
  void invalidSpecsAreRefusedWithAMessageThatSaysWhy(String yaml, String expected) {
    GenericKubernetesResource object = client.getKubernetesSerialization().unmarshal(yaml,
        GenericKubernetesResource.class);
    KubernetesClientException refused = assertThrows(KubernetesClientException.class,
        () -> client.resource(object).inNamespace(namespace).create());
    assertEquals(422, refused.getCode(), refused.getMessage());
    assertTrue(refused.getMessage().contains(expected), () -> "expected '" + expected + "' in: " + refused.getMessage());
  }

  @Test
  void replicasInABucketAreAccepted() {
    GenericKubernetesResource object = client.getKubernetesSerialization().unmarshal(repository("shared", """
        replicas: 3
          storage:
            s3:
              bucket: cvmfs.artifacts
              prefix: ci/repos/
              endpoint: http://minio.storage:9000
              region: eu-west-1
              pathStyle: true
              publicRead: true
              credentialsSecret: bucket-credentials
              serviceAccountName: cvmfs-s3
              publicUrl: https://objects.example.org/cvmfs.artifacts/ci/repos"""), GenericKubernetesResource.class);
    GenericKubernetesResource created = client.resource(object).inNamespace(namespace).create();
    Map<String, Object> storage = created.get("spec", "storage");
    assertEquals("EmptyDir", storage.get("type"), "the schema's default");
    assertEquals(3, ((Number) created.get("spec", "replicas")).intValue());

    // Back to one replica, and on to the data volume: both are edits the schema allows.
    created.setAdditionalProperty("spec", Map.of("replicas", 1));
    assertNotNull(client.resource(created).inNamespace(namespace).update().getMetadata().getUid());
  }

  @Test
  void theLimitsStillAdmitTheLongestValidPath() {
    String deepest = Stream.generate(() -> "d".repeat(60)).limit(64).collect(Collectors.joining("/"));
    GenericKubernetesResource object = client.getKubernetesSerialization().unmarshal(
        publication("deepest", deepest), GenericKubernetesResource.class);
    assertNotNull(client.resource(object).inNamespace(namespace).create().getMetadata().getUid());
  }

  @Test
  void creationOptionsCannotChangeAndOnlyTheTtlOfAPublicationCan() {
    create(repository("fixed", "compression: zlib"));
    assertRefused(repository("fixed", "compression: zlib\n  chunking: {minSize: 1MiB, averageSize: 2MiB, maxSize: 4MiB}"),
        "chunking is fixed once the repository exists");
    assertRefused(repository("fixed", "compression: none"), "compression is fixed once the repository exists");
    assertRefused(repository("fixed", "compression: zlib\n  fqrn: other.example.org"),
        "fqrn is fixed once the repository exists");

    create(publication("fixed", "a/b", "ttl: 1h"));
    assertRefused(publication("fixed", "a/c", "ttl: 1h"), "repository, path and source are immutable");
    GenericKubernetesResource longer = client.getKubernetesSerialization().unmarshal(
        publication("fixed", "a/b", "ttl: 2h"), GenericKubernetesResource.class);
    client.resource(longer).inNamespace(namespace).fieldManager(KitCluster.FIELD_MANAGER).serverSideApply();
  }

  private void create(String yaml) {
    client.resource(client.getKubernetesSerialization().unmarshal(yaml, GenericKubernetesResource.class))
        .inNamespace(namespace).fieldManager(KitCluster.FIELD_MANAGER).serverSideApply();
  }

  private void assertRefused(String yaml, String expected) {
    GenericKubernetesResource object = client.getKubernetesSerialization().unmarshal(yaml,
        GenericKubernetesResource.class);
    KubernetesClientException refused = assertThrows(KubernetesClientException.class, () -> client.resource(object)
        .inNamespace(namespace).fieldManager(KitCluster.FIELD_MANAGER).serverSideApply());
    assertEquals(422, refused.getCode(), refused.getMessage());
    assertTrue(refused.getMessage().contains(expected), () -> "expected '" + expected + "' in: " + refused.getMessage());
  }

  static String repository(String name, String specLine) {
    return """
        apiVersion: cvmfs.ephemeral.io/v1alpha1
        kind: CvmfsRepository
        metadata:
          name: %s
        spec:
          %s
        """.formatted(name, specLine);
  }

  static String publication(String name, String path, String... more) {
    String source = "source: {url: 'http://example.org/a.tar'}";
    for (String line : more) {
      if (line.startsWith("source:")) {
        source = line;
      }
    }
    String extra = Stream.of(more).filter(l -> !l.startsWith("source:")).map(l -> "\n  " + l)
        .collect(Collectors.joining());
    return """
        apiVersion: cvmfs.ephemeral.io/v1alpha1
        kind: CvmfsPublication
        metadata:
          name: %s
        spec:
          repository: demo
          path: '%s'
          %s%s
        """.formatted(name, path, source, extra);
  }
}
