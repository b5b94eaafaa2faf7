package io.ephemeral.cvmfs.operator.reconcilers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import io.ephemeral.cvmfs.common.format.HashAlgorithm;
import io.ephemeral.cvmfs.common.format.Pem;
import io.ephemeral.cvmfs.common.maintenance.WhitelistSigner;
import io.ephemeral.cvmfs.operator.CvmfsOperator;
import io.ephemeral.cvmfs.operator.MockCluster;
import io.ephemeral.cvmfs.operator.OperatorConfig;
import io.ephemeral.cvmfs.operator.api.ClientConfigMapRef;
import io.ephemeral.cvmfs.operator.api.CompressionName;
import io.ephemeral.cvmfs.operator.api.Condition;
import io.ephemeral.cvmfs.operator.api.CvmfsRepository;
import io.ephemeral.cvmfs.operator.api.CvmfsRepositorySpec;
import io.ephemeral.cvmfs.operator.api.MaintenanceSchedule;
import io.ephemeral.cvmfs.operator.api.ObjectStorage;
import io.ephemeral.cvmfs.operator.api.PublicationLimits;
import io.ephemeral.cvmfs.operator.api.Storage;
import io.ephemeral.cvmfs.operator.api.WhitelistSettings;
import io.ephemeral.cvmfs.operator.dataplane.DataPlaneClient;
import io.ephemeral.cvmfs.operator.keys.MasterKey;
import io.ephemeral.cvmfs.operator.maintenance.RepositoryMaintenance;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentStatusBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.CronJob;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@EnableKubernetesMockClient(crud = true)
class CvmfsRepositoryReconcilerTest {

  static final String NS = "ci";
  static final String FQRN = "builds.example.org";
  static final Duration WAIT = Duration.ofSeconds(30);

  KubernetesClient client;
  CvmfsOperator operator;

  @BeforeEach
  void start() throws Exception {
    MockCluster.installCrds(client);
    operator = MockCluster.startOperator(client, OperatorConfig.local(), r -> URI.create("http://127.0.0.1:1"));
  }

  @AfterEach
  void stop() {
    operator.close();
  }

  @Test
  void firstReconcileCreatesEveryDependentWithItsContent(@TempDir Path temp) throws Exception {
    CvmfsRepository repository = create("builds", CvmfsRepositorySpec.defaults().withFqrn(FQRN));
    CvmfsRepository observed = awaitStatus("builds", s -> s.publicKeyFingerprint() != null);
    String uid = observed.getMetadata().getUid();

    Secret keys = awaitSecret("builds-keys");
    assertEquals(Set.of(FQRN + ".key", FQRN + ".crt", FQRN + ".pub", FQRN + ".cvmfswhitelist"), keys.getData().keySet());
    Secret master = awaitSecret("builds-master-key");
    assertEquals(Set.of(FQRN + ".masterkey", FQRN + ".pub"), master.getData().keySet());
    assertEquals(keys.getData().get(FQRN + ".pub"), master.getData().get(FQRN + ".pub"));
    assertEquals("compression=zlib, chunking=4MiB/8MiB/16MiB, manifestTtl=4m",
        keys.getMetadata().getAnnotations().get("cvmfs.ephemeral.io/creation-options"));
    Secret token = awaitSecret("builds-token");
    assertEquals(64, decode(token, "token").strip().length());

    // openssl, not our own code, confirms the certificate and the fingerprint in the status.
    Path certificate = temp.resolve("cert.pem");
    Files.writeString(certificate, decode(keys, FQRN + ".crt"));
    String fingerprint = IndependentTools.run("openssl", "x509", "-in", certificate.toString(), "-noout",
        "-fingerprint", "-sha1");
    assertEquals(fingerprint.substring(fingerprint.indexOf('=') + 1).strip(), observed.getStatus().publicKeyFingerprint());
    Path privateKey = temp.resolve("key.pem");
    Files.writeString(privateKey, decode(keys, FQRN + ".key"));
    assertEquals(IndependentTools.run("openssl", "x509", "-in", certificate.toString(), "-noout", "-modulus"),
        IndependentTools.run("openssl", "rsa", "-in", privateKey.toString(), "-noout", "-modulus"));

    Deployment deployment = await(Deployment.class, "builds-data-plane");
    Container container = deployment.getSpec().getTemplate().getSpec().getContainers().get(0);
    assertEquals(OperatorConfig.DEFAULT_DATA_PLANE_IMAGE, container.getImage());
    assertEquals(List.of("serve"), container.getArgs());
    Map<String, EnvVar> env = container.getEnv().stream().collect(Collectors.toMap(EnvVar::getName, e -> e));
    assertEquals(FQRN, env.get("CVMFS_EPHEMERAL_REPOSITORIES").getValue());
    assertEquals("builds-token", env.get("CVMFS_EPHEMERAL_TOKEN").getValueFrom().getSecretKeyRef().getName());
    assertEquals("240", env.get("CVMFS_EPHEMERAL_MANIFEST_TTL").getValue());
    assertEquals("3", env.get("CVMFS_EPHEMERAL_WHITELIST_MIN_DAYS").getValue());
    // The drain on SIGTERM ends before the kubelet's SIGKILL.
    assertEquals("25s", env.get("CVMFS_EPHEMERAL_SHUTDOWN_GRACE").getValue());
    assertEquals(30L, deployment.getSpec().getTemplate().getSpec().getTerminationGracePeriodSeconds());
    assertEquals("/readyz", container.getReadinessProbe().getHttpGet().getPath());
    assertEquals("/healthz", container.getLivenessProbe().getHttpGet().getPath());
    assertEquals("Recreate", deployment.getSpec().getStrategy().getType());
    var volumes = deployment.getSpec().getTemplate().getSpec().getVolumes();
    assertNotNull(volumes.stream().filter(v -> v.getName().equals("data")).findFirst().orElseThrow().getEmptyDir());
    assertTrue(volumes.stream().noneMatch(v -> v.getSecret() != null
        && v.getSecret().getSecretName().equals("builds-master-key")), "the master key never enters the data plane");
    assertEquals("builds-keys", volumes.stream().filter(v -> v.getName().equals("keys")).findFirst().orElseThrow()
        .getSecret().getSecretName());

    Service service = await(Service.class, "builds");
    assertEquals(Set.of(80, 4929), service.getSpec().getPorts().stream().map(p -> p.getPort()).collect(Collectors.toSet()));
    assertEquals("ClusterIP", service.getSpec().getType());

    ConfigMap clientConfig = await(ConfigMap.class, "builds-client-config");
    String conf = clientConfig.getData().get(FQRN + ".conf");
    assertTrue(conf.contains("CVMFS_SERVER_URL=\"http://builds.ci.svc.cluster.local/cvmfs/@fqrn@\""), conf);
    assertTrue(conf.contains("CVMFS_KEYS_DIR=/etc/cvmfs/config.d"), conf);
    assertTrue(conf.contains("CVMFS_HTTP_PROXY=DIRECT"), conf);
    // Clients subscribe to the relays, which stay up while the data plane restarts.
    assertTrue(conf.contains("CVMFS_NOTIFICATION_SERVER=http://builds-notify.ci.svc.cluster.local:4929/api/v1"), conf);
    assertEquals(decode(keys, FQRN + ".pub"), clientConfig.getData().get(FQRN + ".pub"));

    Deployment relays = await(Deployment.class, "builds-notify");
    assertEquals(2, relays.getSpec().getReplicas());
    assertEquals("RollingUpdate", relays.getSpec().getStrategy().getType());
    assertEquals(0, relays.getSpec().getStrategy().getRollingUpdate().getMaxUnavailable().getIntVal());
    Container relay = relays.getSpec().getTemplate().getSpec().getContainers().get(0);
    assertEquals(List.of("relay"), relay.getArgs());
    assertEquals(OperatorConfig.DEFAULT_DATA_PLANE_IMAGE, relay.getImage());
    Map<String, EnvVar> relayEnv = relay.getEnv().stream().collect(Collectors.toMap(EnvVar::getName, e -> e));
    assertEquals("http://builds.ci.svc.cluster.local:4929/api/v1", relayEnv.get("CVMFS_EPHEMERAL_UPSTREAM").getValue());
    assertEquals(FQRN, relayEnv.get("CVMFS_EPHEMERAL_REPOSITORIES").getValue());
    Service relayService = await(Service.class, "builds-notify");
    assertEquals(relays.getSpec().getSelector().getMatchLabels(), relayService.getSpec().getSelector());
    assertEquals(List.of(4929), relayService.getSpec().getPorts().stream().map(p -> p.getPort()).collect(Collectors.toList()));
    PodDisruptionBudget budget = await(PodDisruptionBudget.class, "builds-notify");
    assertEquals(1, budget.getSpec().getMaxUnavailable().getIntVal());
    assertEquals(relays.getSpec().getSelector().getMatchLabels(), budget.getSpec().getSelector().getMatchLabels());

    Role role = await(Role.class, "builds-maintenance");
    assertEquals(List.of("builds-keys"), role.getRules().get(0).getResourceNames());
    assertEquals(List.of("secrets"), role.getRules().get(0).getResources());
    RoleBinding binding = await(RoleBinding.class, "builds-maintenance");
    assertEquals("builds-maintenance", binding.getSubjects().get(0).getName());
    CronJob cronJob = await(CronJob.class, "builds-maintenance");
    var jobPod = cronJob.getSpec().getJobTemplate().getSpec().getTemplate().getSpec();
    assertEquals("builds-maintenance", jobPod.getServiceAccountName());
    var masterKeyVolume = jobPod.getVolumes().stream().filter(v -> v.getSecret() != null).findFirst().orElseThrow();
    assertEquals("builds-master-key", masterKeyVolume.getSecret().getSecretName());
    // Secret files are root's and the fsGroup's: the non-root job reads the key through its group.
    assertEquals(65532L, jobPod.getSecurityContext().getRunAsUser());
    assertEquals(65532L, jobPod.getSecurityContext().getFsGroup());
    assertEquals(0440, masterKeyVolume.getSecret().getDefaultMode());
    assertEquals("maintain", jobPod.getContainers().get(0).getArgs().get(0));
    assertNull(client.persistentVolumeClaims().inNamespace(NS).withName("builds-data").get(), "emptyDir by default");

    // Deletion cascades through owner references, which the API server's garbage collector follows.
    for (HasMetadata owned : List.of(keys, master, token, deployment, service, clientConfig, role, binding, cronJob,
        relays, relayService, budget,
        await(io.fabric8.kubernetes.api.model.ServiceAccount.class, "builds-maintenance"))) {
      assertEquals(uid, owned.getMetadata().getOwnerReferences().get(0).getUid(), owned.getKind());
      assertEquals("CvmfsRepository", owned.getMetadata().getOwnerReferences().get(0).getKind());
    }

    assertTrue(condition(observed, "KeysReady").status() == Condition.Status.True);
    assertTrue(condition(observed, "WhitelistValid").status() == Condition.Status.True);
    assertEquals(Condition.Status.False, condition(observed, "DataPlaneReady").status());
    assertEquals(Condition.Status.False, condition(observed, "Ready").status());
    assertEquals("http://builds.ci.svc.cluster.local/cvmfs/" + FQRN, observed.getStatus().repositoryUrl());
    assertEquals(1L, observed.getStatus().observedGeneration());
    assertTrue(events(repository).contains("KeysGenerated"));
  }

  @Test
  void keysSurviveASecondReconcileAndAnOperatorRestart() throws Exception {
    create("keep", CvmfsRepositorySpec.defaults().withFqrn("keep.example.org"));
    awaitStatus("keep", s -> s.publicKeyFingerprint() != null);
    Map<String, String> keys = awaitSecret("keep-keys").getData();
    Map<String, String> master = awaitSecret("keep-master-key").getData();
    Map<String, String> token = awaitSecret("keep-token").getData();

    editSpec("keep", spec -> spec.withPublications(new PublicationLimits("1h", "2d", null)));
    awaitStatus("keep", s -> s.observedGeneration() == 2);
    operator.close();
    editSpec("keep", spec -> spec.withPublications(new PublicationLimits("2h", "3d", null)));
    operator = MockCluster.startOperator(client, OperatorConfig.local(), r -> URI.create("http://127.0.0.1:1"));
    awaitStatus("keep", s -> s.observedGeneration() == 3);

    assertEquals(keys, client.secrets().inNamespace(NS).withName("keep-keys").get().getData());
    assertEquals(master, client.secrets().inNamespace(NS).withName("keep-master-key").get().getData());
    assertEquals(token, client.secrets().inNamespace(NS).withName("keep-token").get().getData());
  }

  @Test
  void aSpecChangeRollsTheDataPlaneOnlyWhenThePodUsesIt() throws Exception {
    create("roll", CvmfsRepositorySpec.defaults().withFqrn("roll.example.org"));
    awaitStatus("roll", s -> s.publicKeyFingerprint() != null);
    String hashBefore = podSpecHash(await(Deployment.class, "roll-data-plane"));

    // The schedule is the CronJob's: the data plane, and an emptyDir's content, stay as they are.
    editSpec("roll", spec -> spec.withMaintenance(new MaintenanceSchedule("5 * * * *", null)));
    MockCluster.await("the new schedule", WAIT, () -> "5 * * * *".equals(client.batch().v1().cronjobs().inNamespace(NS)
        .withName("roll-maintenance").get().getSpec().getSchedule()));
    awaitStatus("roll", s -> s.observedGeneration() == 2);
    Deployment unchanged = client.apps().deployments().inNamespace(NS).withName("roll-data-plane").get();
    assertEquals(hashBefore, podSpecHash(unchanged));
    assertFalse(events(client.resources(CvmfsRepository.class).inNamespace(NS).withName("roll").get())
        .contains("SpecChanged"));

    editSpec("roll", spec -> spec.withPublications(new PublicationLimits("30m", "1d", "1GiB")));
    MockCluster.await("a new pod template", WAIT, () -> !hashBefore.equals(podSpecHash(
        client.apps().deployments().inNamespace(NS).withName("roll-data-plane").get())));
    assertEquals("1d", env(client.apps().deployments().inNamespace(NS).withName("roll-data-plane").get(),
        "CVMFS_EPHEMERAL_MAX_TTL"));
    MockCluster.await("a SpecChanged event", WAIT,
        () -> events(client.resources(CvmfsRepository.class).inNamespace(NS).withName("roll").get()).contains("SpecChanged"));
  }

  /** The value of the data-plane container's environment variable {@code name}; fails if it is not set. */
  private static String env(Deployment deployment, String name) {
    return deployment.getSpec().getTemplate().getSpec().getContainers().get(0).getEnv().stream()
        .filter(e -> e.getName().equals(name)).findFirst().orElseThrow().getValue();
  }

  private static String podSpecHash(Deployment deployment) {
    return deployment.getSpec().getTemplate().getMetadata().getAnnotations().get("cvmfs.ephemeral.io/pod-spec-hash");
  }

  @Test
  void aClaimIsMadeWhenTheSpecAsksForOne() throws Exception {
    create("kept", CvmfsRepositorySpec.defaults().withFqrn("kept.example.org")
        .withStorage(new Storage(Storage.Type.PERSISTENT_VOLUME_CLAIM, "20Gi", "fast", null)));
    var claim = await(io.fabric8.kubernetes.api.model.PersistentVolumeClaim.class, "kept-data");
    assertEquals("20Gi", claim.getSpec().getResources().getRequests().get("storage").toString());
    assertEquals("fast", claim.getSpec().getStorageClassName());
    Deployment deployment = await(Deployment.class, "kept-data-plane");
    assertEquals("kept-data", deployment.getSpec().getTemplate().getSpec().getVolumes().stream()
        .filter(v -> v.getName().equals("data")).findFirst().orElseThrow().getPersistentVolumeClaim().getClaimName());
  }

  private static final ObjectStorage BUCKET = new ObjectStorage("cvmfs-bucket", "ci/repos", "http://minio.storage:9000",
      "eu-west-1", true, true, "bucket-credentials", "cvmfs-s3", "https://objects.example.org/cvmfs-bucket/ci/repos/");

  @Test
  void aRepositoryInABucketRunsItsReplicasOnTheBucketWithABudget() throws Exception {
    String fqrn = "shared.example.org";
    create("shared", CvmfsRepositorySpec.defaults().withFqrn(fqrn).withReplicas(3)
        .withStorage(new Storage(null, null, null, BUCKET)));

    Deployment deployment = await(Deployment.class, "shared-data-plane");
    assertEquals(3, deployment.getSpec().getReplicas());
    // The lease keeps a second writer out, so pods roll one by one and reads never stop.
    assertEquals("RollingUpdate", deployment.getSpec().getStrategy().getType());
    assertEquals(0, deployment.getSpec().getStrategy().getRollingUpdate().getMaxUnavailable().getIntVal());
    var pod = deployment.getSpec().getTemplate().getSpec();
    assertEquals("cvmfs-s3", pod.getServiceAccountName());
    assertNotNull(pod.getVolumes().stream().filter(v -> v.getName().equals("data")).findFirst().orElseThrow()
        .getEmptyDir(), "the data directory is scratch space");
    List<EnvVar> env = pod.getContainers().get(0).getEnv();
    Map<String, EnvVar> byName = env.stream().collect(Collectors.toMap(EnvVar::getName, e -> e));
    assertEquals("s3://cvmfs-bucket/ci/repos", byName.get("CVMFS_EPHEMERAL_STORAGE").getValue());
    assertEquals("http://minio.storage:9000", byName.get("CVMFS_EPHEMERAL_S3_ENDPOINT").getValue());
    assertEquals("eu-west-1", byName.get("CVMFS_EPHEMERAL_S3_REGION").getValue());
    assertEquals("true", byName.get("CVMFS_EPHEMERAL_S3_PATH_STYLE").getValue());
    assertEquals("true", byName.get("CVMFS_EPHEMERAL_S3_PUBLIC_READ").getValue());
    for (String key : List.of("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")) {
      var ref = byName.get(key).getValueFrom().getSecretKeyRef();
      assertEquals("bucket-credentials", ref.getName(), key);
      assertEquals(key, ref.getKey());
    }
    assertEquals("status.podIP", byName.get("POD_IP").getValueFrom().getFieldRef().getFieldPath());
    assertEquals("http://$(POD_IP):8080", byName.get("CVMFS_EPHEMERAL_ADVERTISE_URL").getValue());
    assertTrue(env.indexOf(byName.get("POD_IP")) < env.indexOf(byName.get("CVMFS_EPHEMERAL_ADVERTISE_URL")),
        "Kubernetes expands $(POD_IP) only from a variable defined before");

    PodDisruptionBudget budget = await(PodDisruptionBudget.class, "shared-data-plane");
    assertEquals(1, budget.getSpec().getMinAvailable().getIntVal());
    assertEquals(deployment.getSpec().getSelector().getMatchLabels(), budget.getSpec().getSelector().getMatchLabels());

    // Clients read the bucket; notifications still come from the relays.
    String conf = await(ConfigMap.class, "shared-client-config").getData().get(fqrn + ".conf");
    assertTrue(conf.contains("CVMFS_SERVER_URL=\"https://objects.example.org/cvmfs-bucket/ci/repos/@fqrn@\"\n"), conf);
    assertTrue(conf.contains("CVMFS_NOTIFICATION_SERVER=http://shared-notify.ci.svc.cluster.local:4929/api/v1\n"), conf);
    assertEquals("https://objects.example.org/cvmfs-bucket/ci/repos/" + fqrn,
        awaitStatus("shared", s -> s.repositoryUrl() != null).getStatus().repositoryUrl());

    editSpec("shared", spec -> spec.withReplicas(1));
    MockCluster.await("one replica", WAIT, () -> client.apps().deployments().inNamespace(NS)
        .withName("shared-data-plane").get().getSpec().getReplicas() == 1);
    MockCluster.await("the budget to go with the second replica", WAIT,
        () -> client.policy().v1().podDisruptionBudget().inNamespace(NS).withName("shared-data-plane").get() == null);
  }

  @Test
  void replicasNeedABucketAndABucketNeedsNoClaim() throws Exception {
    create("crowded", CvmfsRepositorySpec.defaults().withFqrn("crowded.example.org").withReplicas(2));
    Condition ready = condition(awaitStatus("crowded", s -> !s.conditions().isEmpty()), "Ready");
    assertEquals("InvalidSpec", ready.reason());
    assertTrue(ready.message().startsWith("replicas above 1 need storage.s3"), ready.message());

    create("claimed", CvmfsRepositorySpec.defaults().withFqrn("claimed.example.org")
        .withStorage(new Storage(Storage.Type.PERSISTENT_VOLUME_CLAIM, null, null, BUCKET)));
    ready = condition(awaitStatus("claimed", s -> !s.conditions().isEmpty()), "Ready");
    assertEquals("InvalidSpec", ready.reason());
    assertTrue(ready.message().startsWith("storage.s3 and type PersistentVolumeClaim exclude each other"),
        ready.message());
    assertTrue(client.apps().deployments().inNamespace(NS).list().getItems().isEmpty());
    assertTrue(client.persistentVolumeClaims().inNamespace(NS).list().getItems().isEmpty());
  }

  @Test
  void theStatusShowsTheStorageAndTheWriterTheDataPlaneReports() throws Exception {
    String fqrn = "reported.example.org";
    HttpServer dataPlane = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    dataPlane.createContext("/api/v1/repos/" + fqrn, exchange -> {
      byte[] body = ("{\"fqrn\":\"" + fqrn + "\",\"revision\":12,\"publications\":0,\"storage\":\"s3://cvmfs-bucket/ci/"
          + fqrn + "\",\"role\":\"follower\",\"writer\":\"reported-data-plane-6c9f7-abcde.1\"}")
          .getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().add("Content-Type", "application/json");
      exchange.sendResponseHeaders(200, body.length);
      exchange.getResponseBody().write(body);
      exchange.close();
    });
    dataPlane.start();
    operator.close();
    operator = MockCluster.startOperator(client, OperatorConfig.local(),
        r -> URI.create("http://127.0.0.1:" + dataPlane.getAddress().getPort()));
    try {
      create("reported", CvmfsRepositorySpec.defaults().withFqrn(fqrn).withReplicas(2)
          .withStorage(new Storage(null, null, null, BUCKET)));
      Deployment deployment = await(Deployment.class, "reported-data-plane");
      // The mock API server runs no pods; report the data plane's Deployment as available.
      deployment.setStatus(new DeploymentStatusBuilder().withAvailableReplicas(2).withReplicas(2).build());
      client.resource(deployment).updateStatus();

      CvmfsRepository observed = awaitStatus("reported", s -> s.writer() != null);
      assertEquals("s3://cvmfs-bucket/ci/" + fqrn, observed.getStatus().storage());
      assertEquals("reported-data-plane-6c9f7-abcde.1", observed.getStatus().writer());
      assertEquals(12L, observed.getStatus().revision());
      assertEquals(Condition.Status.True, condition(observed, "DataPlaneReady").status());
    } finally {
      dataPlane.stop(0);
    }
  }

  @Test
  void anInvalidSpecGetsAConditionAndNothingIsCreated() throws Exception {
    CvmfsRepository repository = create("bad", CvmfsRepositorySpec.defaults().withFqrn("Not_A_Name"));
    CvmfsRepository observed = awaitStatus("bad", s -> !s.conditions().isEmpty());
    Condition ready = condition(observed, "Ready");
    assertEquals(Condition.Status.False, ready.status());
    assertEquals("InvalidSpec", ready.reason());
    assertTrue(ready.message().contains("Not_A_Name"), ready.message());
    assertTrue(events(repository).contains("InvalidSpec"));
    assertTrue(client.secrets().inNamespace(NS).list().getItems().isEmpty(), "no Secret is made for an invalid spec");
    assertTrue(client.apps().deployments().inNamespace(NS).list().getItems().isEmpty());
  }

  @Test
  void theFqrnCannotChangeOnceKeysExist() throws Exception {
    create("fixed", CvmfsRepositorySpec.defaults().withFqrn("fixed.example.org"));
    awaitStatus("fixed", s -> s.publicKeyFingerprint() != null);
    editSpec("fixed", spec -> spec.withFqrn("other.example.org"));
    CvmfsRepository observed = awaitStatus("fixed", s -> s.observedGeneration() == 2);
    assertEquals("InvalidSpec", condition(observed, "Ready").reason());
    assertFalse(client.apps().deployments().inNamespace(NS).withName("fixed-data-plane").get().getSpec().getTemplate()
        .getSpec().getContainers().get(0).getEnv().stream().anyMatch(e -> "other.example.org".equals(e.getValue())));
    assertNotEquals(null, client.secrets().inNamespace(NS).withName("fixed-keys").get());
  }

  @Test
  void theHashAlgorithmCannotChangeOnceKeysExist() throws Exception {
    create("hashed", CvmfsRepositorySpec.defaults().withFqrn("hashed.example.org"));
    awaitStatus("hashed", s -> s.publicKeyFingerprint() != null);
    editSpec("hashed", s -> new CvmfsRepositorySpec(s.fqrn(), s.replicas(),
        io.ephemeral.cvmfs.operator.api.HashName.SHAKE128, s.compression(), s.chunking(), s.manifestTtl(),
        s.publications(), s.whitelist(), s.maintenance(), s.storage(), s.service(), s.notifications(), s.resources(),
        s.clientConfigMap()));
    CvmfsRepository observed = awaitStatus("hashed", s -> s.observedGeneration() == 2);
    assertEquals("InvalidSpec", condition(observed, "Ready").reason());
    assertTrue(condition(observed, "Ready").message().contains("hashAlgorithm"));
  }

  @Test
  void compressionCannotChangeOnceKeysExist() throws Exception {
    create("packed", CvmfsRepositorySpec.defaults().withFqrn("packed.example.org"));
    awaitStatus("packed", s -> s.publicKeyFingerprint() != null);
    editSpec("packed", s -> new CvmfsRepositorySpec(s.fqrn(), s.replicas(), s.hashAlgorithm(), CompressionName.NONE,
        s.chunking(), s.manifestTtl(), s.publications(), s.whitelist(), s.maintenance(), s.storage(), s.service(),
        s.notifications(), s.resources(), s.clientConfigMap()));
    CvmfsRepository observed = awaitStatus("packed", s -> s.observedGeneration() == 2);
    assertEquals("InvalidSpec", condition(observed, "Ready").reason());
    assertTrue(condition(observed, "Ready").message().contains("compression=zlib"),
        condition(observed, "Ready").message());
    assertEquals("zlib", env(client.apps().deployments().inNamespace(NS).withName("packed-data-plane").get(),
        "CVMFS_EPHEMERAL_COMPRESSION"));
  }

  @Test
  void zlibAlwaysReachesTheDataPlaneAsItsFlagSpellsIt() throws Exception {
    CvmfsRepositorySpec d = CvmfsRepositorySpec.defaults().withFqrn("always.example.org");
    create("always", new CvmfsRepositorySpec(d.fqrn(), d.replicas(), d.hashAlgorithm(), CompressionName.ZLIB_ALWAYS,
        d.chunking(), d.manifestTtl(), d.publications(), d.whitelist(), d.maintenance(), d.storage(), d.service(),
        d.notifications(), d.resources(), d.clientConfigMap()));
    assertEquals("zlib-always", env(await(Deployment.class, "always-data-plane"), "CVMFS_EPHEMERAL_COMPRESSION"));
  }

  @Test
  void aShortWhitelistValidityStillLetsTheDataPlaneBeReady() throws Exception {
    create("brief", CvmfsRepositorySpec.defaults().withFqrn("brief.example.org").withWhitelist(new WhitelistSettings(2)));
    Deployment deployment = await(Deployment.class, "brief-data-plane");
    // A fresh whitelist has 2 days left; a minimum of 3 would keep the pod unready for good.
    assertEquals("0", env(deployment, "CVMFS_EPHEMERAL_WHITELIST_MIN_DAYS"));
  }

  @Test
  void anExpiredWhitelistIsReportedUntilTheMaintenanceJobReSignsIt(@TempDir Path temp) throws Exception {
    String fqrn = "stale.example.org";
    create("stale", CvmfsRepositorySpec.defaults().withFqrn(fqrn));
    awaitStatus("stale", s -> s.whitelistExpiresAt() != null);
    Secret master = awaitSecret("stale-master-key");
    MasterKey masterKey = MasterKey.fromPem(decode(master, fqrn + ".masterkey"), decode(master, fqrn + ".pub"));
    Secret keys = awaitSecret("stale-keys");
    X509Certificate certificate = Pem.readCertificate(decode(keys, fqrn + ".crt"));
    byte[] expired = new WhitelistSigner(fqrn, certificate, masterKey.privateKey(), HashAlgorithm.SHA1)
        .sign(Instant.now().minus(Duration.ofDays(40)), Duration.ofDays(30));
    client.secrets().inNamespace(NS).withName("stale-keys").edit(secret -> {
      secret.getData().put(fqrn + ".cvmfswhitelist", Base64.getEncoder().encodeToString(expired));
      return secret;
    });
    CvmfsRepository observed = awaitStatus("stale", s -> s.conditions().stream()
        .anyMatch(c -> c.type().equals("WhitelistValid") && c.status() == Condition.Status.False));
    assertTrue(condition(observed, "WhitelistValid").message().contains("expired"));
    assertEquals(Condition.Status.False, condition(observed, "Ready").status());

    // What the CronJob runs; no data plane answers here, which fails only the garbage collection.
    Path masterKeyFile = temp.resolve("master.key");
    Files.writeString(masterKeyFile, masterKey.privatePem());
    RepositoryMaintenance.Result result = new RepositoryMaintenance(client,
        new DataPlaneClient(Duration.ofSeconds(1), Duration.ofSeconds(2)), java.time.Clock.systemUTC())
        .run(new RepositoryMaintenance.Request(NS, "stale-keys", fqrn, HashAlgorithm.SHA1,
            URI.create("http://127.0.0.1:1"), masterKeyFile, Duration.ofDays(30), "token"));
    assertNotNull(result.whitelistExpiresAt());
    awaitStatus("stale", s -> s.conditions().stream()
        .anyMatch(c -> c.type().equals("WhitelistValid") && c.status() == Condition.Status.True));
  }

  /** Changes the spec as a user would, again if the operator's status update came first. */
  private void editSpec(String name, java.util.function.UnaryOperator<CvmfsRepositorySpec> change) {
    for (int attempt = 0; ; attempt++) {
      CvmfsRepository current = client.resources(CvmfsRepository.class).inNamespace(NS).withName(name).get();
      current.setSpec(change.apply(current.getSpec()));
      try {
        client.resource(current).update();
        return;
      } catch (io.fabric8.kubernetes.client.KubernetesClientException e) {
        if (e.getCode() != 409 || attempt == 10) {
          throw e;
        }
      }
    }
  }

  private static final String CSI = "cvmfs-csi";
  private static final String CONFIG_D = "cvmfs-csi-config-d";

  private ConfigMap createConfigMap(String namespace, String name, String accept, Map<String, String> data) {
    ObjectMetaBuilder metadata = new ObjectMetaBuilder().withName(name).withNamespace(namespace);
    if (accept != null) {
      metadata.addToAnnotations(ClientConfigTarget.ACCEPT_ANNOTATION, accept);
    }
    return client.resource(new ConfigMapBuilder().withMetadata(metadata.build()).withData(data).build()).create();
  }

  private ConfigMap configMap(String namespace, String name) {
    return client.configMaps().inNamespace(namespace).withName(name).get();
  }

  private CvmfsRepository awaitClientConfigMap(String name, boolean synced, String reason) throws InterruptedException {
    return awaitStatus(name, s -> s.conditions().stream().anyMatch(c -> c.type().equals("ClientConfigMapSynced")
        && c.status() == Condition.Status.of(synced) && c.reason().equals(reason)));
  }

  @Test
  void theClientConfigurationIsKeptInAConfigMapThatAcceptsIt() throws Exception {
    String fqrn = "csi.example.org";
    createConfigMap(CSI, CONFIG_D, "other, " + NS, Map.of("default.local", "CVMFS_QUOTA_LIMIT=1000\n"));
    create("csi", CvmfsRepositorySpec.defaults().withFqrn(fqrn)
        .withClientConfigMap(new ClientConfigMapRef(CSI, CONFIG_D)));
    CvmfsRepository observed = awaitClientConfigMap("csi", true, "Synced");
    assertTrue(condition(observed, "ClientConfigMapSynced").message().contains(CSI + "/" + CONFIG_D));

    ConfigMap own = configMap(NS, "csi-client-config");
    ConfigMap target = configMap(CSI, CONFIG_D);
    assertEquals(Set.of("default.local", fqrn + ".conf", fqrn + ".pub"), target.getData().keySet());
    assertEquals("CVMFS_QUOTA_LIMIT=1000\n", target.getData().get("default.local"), "other keys stay");
    assertEquals("# cvmfs-ephemeral: CvmfsRepository " + NS + "/csi\n" + own.getData().get(fqrn + ".conf"),
        target.getData().get(fqrn + ".conf"));
    assertEquals(own.getData().get(fqrn + ".pub"), target.getData().get(fqrn + ".pub"));
    assertTrue(target.getMetadata().getOwnerReferences() == null || target.getMetadata().getOwnerReferences().isEmpty(),
        "the target is not the repository's");

    // Someone else's update (a helm upgrade of cvmfs-csi, say) drops the entries: the next status refresh restores them.
    client.configMaps().inNamespace(CSI).withName(CONFIG_D).edit(c -> {
      c.getData().remove(fqrn + ".pub");
      c.getData().put("added.later", "x");
      return c;
    });
    MockCluster.await("the key put back", WAIT, () -> configMap(CSI, CONFIG_D).getData().containsKey(fqrn + ".pub"));
    assertEquals("x", configMap(CSI, CONFIG_D).getData().get("added.later"));
  }

  @Test
  void aConfigMapThatDoesNotAcceptOrDoesNotExistIsLeftAlone() throws Exception {
    createConfigMap(CSI, CONFIG_D, null, Map.of("default.local", "x"));
    CvmfsRepository refused = create("refused", CvmfsRepositorySpec.defaults().withFqrn("refused.example.org")
        .withClientConfigMap(new ClientConfigMapRef(CSI, CONFIG_D)));
    CvmfsRepository observed = awaitClientConfigMap("refused", false, "NotAccepted");
    assertTrue(condition(observed, "ClientConfigMapSynced").message().contains(ClientConfigTarget.ACCEPT_ANNOTATION));
    assertEquals(Map.of("default.local", "x"), configMap(CSI, CONFIG_D).getData());
    MockCluster.await("the warning event", WAIT, () -> events(refused).contains("ClientConfigMapNotAccepted"));

    createConfigMap("elsewhere", "accepts-others", "builds", Map.of());
    create("stranger", CvmfsRepositorySpec.defaults().withFqrn("stranger.example.org")
        .withClientConfigMap(new ClientConfigMapRef("elsewhere", "accepts-others")));
    awaitClientConfigMap("stranger", false, "NotAccepted");

    // No namespace: the repository's own; nothing is created there.
    create("nowhere", CvmfsRepositorySpec.defaults().withFqrn("nowhere.example.org")
        .withClientConfigMap(new ClientConfigMapRef(null, "absent")));
    observed = awaitClientConfigMap("nowhere", false, "NotFound");
    assertTrue(condition(observed, "ClientConfigMapSynced").message().contains(NS + "/absent"));
    assertNull(configMap(NS, "absent"));
  }

  @Test
  void anEntryWrittenBySomeoneElseIsNotOverwritten() throws Exception {
    String fqrn = "taken.example.org";
    Map<String, String> before = Map.of(fqrn + ".conf", "CVMFS_SERVER_URL=http://elsewhere/cvmfs/@fqrn@\n");
    createConfigMap(CSI, CONFIG_D, "*", before);
    create("taken", CvmfsRepositorySpec.defaults().withFqrn(fqrn)
        .withClientConfigMap(new ClientConfigMapRef(CSI, CONFIG_D)));
    awaitClientConfigMap("taken", false, "KeyTaken");
    assertEquals(before, configMap(CSI, CONFIG_D).getData());
  }

  private CvmfsRepository create(String name, CvmfsRepositorySpec spec) {
    CvmfsRepository repository = new CvmfsRepository();
    repository.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(NS).build());
    repository.setSpec(spec);
    return client.resource(repository).create();
  }

  private CvmfsRepository awaitStatus(String name, java.util.function.Predicate<io.ephemeral.cvmfs.operator.api
      .CvmfsRepositoryStatus> test) throws InterruptedException {
    MockCluster.await("the status of " + name, WAIT, () -> {
      CvmfsRepository r = client.resources(CvmfsRepository.class).inNamespace(NS).withName(name).get();
      return r.getStatus() != null && test.test(r.getStatus());
    });
    return client.resources(CvmfsRepository.class).inNamespace(NS).withName(name).get();
  }

  private Secret awaitSecret(String name) throws InterruptedException {
    return await(Secret.class, name);
  }

  private <T extends HasMetadata> T await(Class<T> type, String name) throws InterruptedException {
    MockCluster.await(type.getSimpleName() + " " + name, WAIT,
        () -> client.resources(type).inNamespace(NS).withName(name).get() != null);
    return client.resources(type).inNamespace(NS).withName(name).get();
  }

  static Condition condition(CvmfsRepository repository, String type) {
    return repository.getStatus().conditions().stream().filter(c -> c.type().equals(type)).findFirst().orElseThrow();
  }

  private Set<String> events(HasMetadata object) {
    return client.v1().events().inNamespace(NS).list().getItems().stream()
        .filter(e -> e.getInvolvedObject().getName().equals(object.getMetadata().getName()))
        .map(io.fabric8.kubernetes.api.model.Event::getReason).collect(Collectors.toSet());
  }

  private static String decode(Secret secret, String key) {
    return new String(Base64.getDecoder().decode(secret.getData().get(key)), StandardCharsets.US_ASCII);
  }
}
