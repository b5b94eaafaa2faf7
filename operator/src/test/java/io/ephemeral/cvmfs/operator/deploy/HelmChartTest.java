package io.ephemeral.cvmfs.operator.deploy;

import static io.ephemeral.cvmfs.operator.deploy.DeployFiles.DATA_PLANE_IMAGE;
import static io.ephemeral.cvmfs.operator.deploy.DeployFiles.OPERATOR;
import static io.ephemeral.cvmfs.operator.deploy.DeployFiles.OPERATOR_IMAGE;
import static io.ephemeral.cvmfs.operator.deploy.DeployFiles.SYSTEM_NAMESPACE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import com.marcnuri.helm.TemplateCommand;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.api.model.rbac.Subject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The Helm chart lints cleanly and renders the operator as the operator code expects it. */
class HelmChartTest {

  static Path chart() {
    return DeployFiles.project().resolve("charts/cvmfs-ephemeral");
  }

  /** The Kubernetes version rendered for, the test kit's: helm template assumes 1.20 otherwise. */
  static final String KUBE_VERSION = "1.32.13";

  /** `helm template cvmfs-ephemeral charts/cvmfs-ephemeral -n cvmfs-ephemeral-system` with extra settings. */
  static List<HasMetadata> render(UnaryOperator<TemplateCommand> settings) {
    return DeployFiles.parse(settings.apply(template()).call());
  }

  private static TemplateCommand template() {
    return new Helm(chart()).template().withName("cvmfs-ephemeral").withNamespace(SYSTEM_NAMESPACE)
        .withKubeVersion(KUBE_VERSION);
  }

  private static String defaults;

  /**
   * The default rendering, made once: loading the native Helm library takes a moment. It is
   * also written to target/chart/cvmfs-ephemeral.yaml, which e2e/run.sh installs on a real node.
   */
  static synchronized List<HasMetadata> renderDefaults() {
    if (defaults == null) {
      defaults = template().call();
      try {
        Path rendered = Path.of("target", "chart", "cvmfs-ephemeral.yaml");
        Files.createDirectories(rendered.getParent());
        Files.writeString(rendered, defaults);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return DeployFiles.parse(defaults);
  }

  @Test
  void theDefaultRenderingIsWrittenForTheEndToEndRun() throws IOException {
    renderDefaults();
    assertEquals(defaults, Files.readString(Path.of("target", "chart", "cvmfs-ephemeral.yaml")));
  }

  static Container operatorContainer(Deployment deployment) {
    List<Container> containers = deployment.getSpec().getTemplate().getSpec().getContainers();
    assertEquals(1, containers.size(), "the operator pod has one container");
    return containers.get(0);
  }

  static Map<String, EnvVar> env(Container container) {
    return container.getEnv().stream().collect(Collectors.toMap(EnvVar::getName, e -> e));
  }

  @Test
  void lintsWithoutErrorsOrWarnings() {
    LintResult result = new Helm(chart()).lint().strict().call();
    assertFalse(result.isFailed(), () -> "helm lint --strict failed: " + result.getMessages());
    for (String message : result.getMessages()) {
      assertFalse(message.contains("[ERROR]") || message.contains("[WARNING]"), "helm lint: " + message);
    }
  }

  @Test
  void chartVersionsAndDefaultImagesFollowTheAppVersion() {
    JsonNode chart = DeployFiles.tree(DeployFiles.read(chart().resolve("Chart.yaml")));
    assertEquals("v2", chart.path("apiVersion").asText());
    assertEquals("cvmfs-ephemeral", chart.path("name").asText());
    assertEquals("0.1.0", chart.path("version").asText());
    assertEquals("0.1.0", chart.path("appVersion").asText());
    assertTrue(OPERATOR_IMAGE.endsWith(":" + chart.path("appVersion").asText()));
  }

  @Test
  void rendersTheOperatorWithItsContract() {
    List<HasMetadata> objects = renderDefaults();
    assertEquals(List.of("ClusterRole/" + OPERATOR, "ClusterRoleBinding/" + OPERATOR, "Deployment/" + OPERATOR,
        "PodDisruptionBudget/" + OPERATOR, "Role/" + OPERATOR + "-leader-election",
        "RoleBinding/" + OPERATOR + "-leader-election",
        "ServiceAccount/" + OPERATOR), DeployFiles.describe(objects));

    Deployment deployment = DeployFiles.one(objects, Deployment.class, OPERATOR);
    assertEquals(SYSTEM_NAMESPACE, deployment.getMetadata().getNamespace());
    assertEquals(1, deployment.getSpec().getReplicas());
    assertEquals("RollingUpdate", deployment.getSpec().getStrategy().getType(), "leader election makes two pods safe");
    assertEquals("metadata.namespace", env(operatorContainer(deployment)).get("CVMFS_OPERATOR_LEADER_ELECTION_NAMESPACE")
        .getValueFrom().getFieldRef().getFieldPath());
    Role lease = DeployFiles.one(objects, Role.class, OPERATOR + "-leader-election");
    assertEquals(List.of("coordination.k8s.io"), lease.getRules().get(0).getApiGroups());
    assertEquals(List.of("leases"), lease.getRules().get(0).getResources());
    assertEquals(2, DeployFiles.one(render(t -> t.set("replicas", "2")), Deployment.class, OPERATOR)
        .getSpec().getReplicas());
    assertEquals(deployment.getSpec().getSelector().getMatchLabels(),
        filter(deployment.getSpec().getTemplate().getMetadata().getLabels(), deployment.getSpec().getSelector().getMatchLabels()),
        "the pod carries the selector's labels");

    PodSpec pod = deployment.getSpec().getTemplate().getSpec();
    assertEquals(OPERATOR, pod.getServiceAccountName());
    assertTrue(pod.getSecurityContext().getRunAsNonRoot());
    assertEquals(65532L, pod.getSecurityContext().getRunAsUser());
    assertEquals("RuntimeDefault", pod.getSecurityContext().getSeccompProfile().getType());

    Container container = operatorContainer(deployment);
    assertEquals(OPERATOR_IMAGE, container.getImage());
    assertEquals("IfNotPresent", container.getImagePullPolicy());
    assertEquals(List.of("run"), container.getArgs());
    assertTrue(container.getCommand().isEmpty(), "the image's entrypoint (java -jar operator.jar) stays");

    Map<String, EnvVar> env = env(container);
    assertEquals("", env.get("CVMFS_OPERATOR_NAMESPACES").getValue());
    assertEquals(DATA_PLANE_IMAGE, env.get("CVMFS_OPERATOR_DATA_PLANE_IMAGE").getValue());
    assertEquals(OPERATOR_IMAGE, env.get("CVMFS_OPERATOR_IMAGE").getValue());
    assertEquals("8081", env.get("CVMFS_OPERATOR_HEALTH_PORT").getValue());
    assertTrue(env.get("JDK_JAVA_OPTIONS").getValue().contains("-Dorg.slf4j.simpleLogger.defaultLogLevel=info"));

    assertEquals(1, container.getPorts().size());
    assertEquals("health", container.getPorts().get(0).getName());
    assertEquals(8081, container.getPorts().get(0).getContainerPort());
    assertHttpProbe(container.getLivenessProbe(), "/healthz");
    assertHttpProbe(container.getReadinessProbe(), "/readyz");
    assertHttpProbe(container.getStartupProbe(), "/healthz");

    SecurityContext security = container.getSecurityContext();
    assertTrue(security.getRunAsNonRoot());
    assertEquals(65532L, security.getRunAsUser());
    assertTrue(security.getReadOnlyRootFilesystem());
    assertFalse(security.getAllowPrivilegeEscalation());
    assertEquals(List.of("ALL"), security.getCapabilities().getDrop());
    assertTrue(security.getCapabilities().getAdd() == null || security.getCapabilities().getAdd().isEmpty());
    assertEquals("RuntimeDefault", security.getSeccompProfile().getType());

    assertEquals(1, container.getVolumeMounts().size());
    assertEquals("/tmp", container.getVolumeMounts().get(0).getMountPath());
    String tmp = container.getVolumeMounts().get(0).getName();
    assertTrue(pod.getVolumes().stream().anyMatch(v -> v.getName().equals(tmp) && v.getEmptyDir() != null),
        "/tmp is an emptyDir");
    assertEquals("512Mi", container.getResources().getLimits().get("memory").toString());
  }

  private static Map<String, String> filter(Map<String, String> labels, Map<String, String> keys) {
    return labels.entrySet().stream().filter(e -> keys.containsKey(e.getKey()))
        .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
  }

  private static void assertHttpProbe(Probe probe, String path) {
    assertEquals(path, probe.getHttpGet().getPath());
    assertEquals("health", probe.getHttpGet().getPort().getStrVal());
  }

  @Test
  void clusterRoleGrantsExactlyTheOperatorsRules() {
    List<HasMetadata> objects = renderDefaults();
    ClusterRole role = DeployFiles.one(objects, ClusterRole.class, OPERATOR);
    DeployFiles.assertOperatorRules(role.getRules(), "the chart's ClusterRole");

    ClusterRoleBinding binding = DeployFiles.one(objects, ClusterRoleBinding.class, OPERATOR);
    assertEquals("ClusterRole", binding.getRoleRef().getKind());
    assertEquals(OPERATOR, binding.getRoleRef().getName());
    assertEquals(List.of(new Subject(null, "ServiceAccount", OPERATOR, SYSTEM_NAMESPACE)), binding.getSubjects());
    assertEquals(SYSTEM_NAMESPACE, DeployFiles.one(objects, ServiceAccount.class, OPERATOR).getMetadata().getNamespace());
  }

  @Test
  void imageValuesTakeEffect() {
    List<HasMetadata> objects = render(t -> t
        .set("image.repository", "registry.example.org/cvmfs/operator")
        .set("image.tag", "1.2.3")
        .set("image.pullPolicy", "Always")
        .set("dataPlaneImage.repository", "registry.example.org/cvmfs/data-plane")
        .set("dataPlaneImage.tag", "1.2.4")
        .set("logLevel", "debug"));
    Container container = operatorContainer(DeployFiles.one(objects, Deployment.class, OPERATOR));
    assertEquals("registry.example.org/cvmfs/operator:1.2.3", container.getImage());
    assertEquals("Always", container.getImagePullPolicy());
    Map<String, EnvVar> env = env(container);
    assertEquals("registry.example.org/cvmfs/operator:1.2.3", env.get("CVMFS_OPERATOR_IMAGE").getValue(),
        "the maintenance CronJob runs the operator's own image");
    assertEquals("registry.example.org/cvmfs/data-plane:1.2.4", env.get("CVMFS_OPERATOR_DATA_PLANE_IMAGE").getValue());
    assertTrue(env.get("JDK_JAVA_OPTIONS").getValue().contains("-Dorg.slf4j.simpleLogger.defaultLogLevel=debug"));
  }

  @Test
  void imageDigestsReplaceTheTags() {
    String operatorDigest = "sha256:" + "a".repeat(64);
    String dataPlaneDigest = "sha256:" + "b".repeat(64);
    List<HasMetadata> objects = render(t -> t
        .set("image.repository", "registry.example.org/cvmfs/operator")
        .set("image.tag", "1.2.3")
        .set("image.digest", operatorDigest)
        .set("dataPlaneImage.repository", "registry.example.org/cvmfs/data-plane")
        .set("dataPlaneImage.digest", dataPlaneDigest));
    Container container = operatorContainer(DeployFiles.one(objects, Deployment.class, OPERATOR));
    assertEquals("registry.example.org/cvmfs/operator@" + operatorDigest, container.getImage());
    Map<String, EnvVar> env = env(container);
    assertEquals("registry.example.org/cvmfs/operator@" + operatorDigest, env.get("CVMFS_OPERATOR_IMAGE").getValue());
    assertEquals("registry.example.org/cvmfs/data-plane@" + dataPlaneDigest,
        env.get("CVMFS_OPERATOR_DATA_PLANE_IMAGE").getValue());
  }

  /** The CRDs' CEL rules need Kubernetes 1.25. */
  @Test
  void anOlderKubernetesIsRefused() {
    Exception refused = assertThrows(Exception.class, () -> render(t -> t.withKubeVersion("1.24.0")));
    assertTrue(refused.getMessage().contains("chart requires kubeVersion: >=1.25.0-0"), refused.getMessage());
  }

  /** The schema turns a value of the wrong type into a message that names it, instead of a template error. */
  @Test
  void valuesOfTheWrongTypeAreRefusedByTheSchema() {
    for (String[] bad : new String[][] {
        {"watchNamespaces", "ci", "watchNamespaces"},
        {"replicas", "two", "replicas"},
        {"logLevel", "loud", "logLevel"},
        {"image.digest", "latest", "digest"},
        {"intervals.retry", "soon", "retry"},
        {"nosuchvalue", "x", "nosuchvalue"}}) {
      Exception refused = assertThrows(Exception.class, () -> render(t -> t.set(bad[0], bad[1])), bad[0]);
      assertTrue(refused.getMessage().contains("values don't meet the specifications of the schema")
          && refused.getMessage().contains(bad[2]), () -> bad[0] + ": " + refused.getMessage());
    }
  }

  @Test
  void watchNamespacesNarrowTheOperatorAndItsPermissions() {
    List<HasMetadata> objects = render(t -> t.set("watchNamespaces[0]", "ci").set("watchNamespaces[1]", "builds"));
    Container container = operatorContainer(DeployFiles.one(objects, Deployment.class, OPERATOR));
    assertEquals("ci,builds", env(container).get("CVMFS_OPERATOR_NAMESPACES").getValue());

    assertTrue(DeployFiles.ofKind(objects, "ClusterRoleBinding").isEmpty(), "no cluster-wide grant");
    List<RoleBinding> bindings = DeployFiles.ofKind(objects, "RoleBinding").stream()
        .map(RoleBinding.class::cast).filter(b -> b.getRoleRef().getKind().equals("ClusterRole"))
        .collect(Collectors.toList());
    assertEquals(List.of("builds", "ci"),
        bindings.stream().map(b -> b.getMetadata().getNamespace()).sorted().collect(Collectors.toList()));
    for (RoleBinding binding : bindings) {
      assertEquals(OPERATOR, binding.getMetadata().getName());
      assertEquals("ClusterRole", binding.getRoleRef().getKind());
      assertEquals(OPERATOR, binding.getRoleRef().getName());
      assertEquals(List.of(new Subject(null, "ServiceAccount", OPERATOR, SYSTEM_NAMESPACE)), binding.getSubjects());
    }
    DeployFiles.assertOperatorRules(DeployFiles.one(objects, ClusterRole.class, OPERATOR).getRules(),
        "the chart's ClusterRole");
  }

  @Test
  void rbacAndServiceAccountCanBeLeftToTheInstaller() {
    List<HasMetadata> objects = render(t -> t
        .set("rbac.create", "false")
        .set("serviceAccount.create", "false")
        .set("serviceAccount.name", "provided"));
    assertEquals(List.of("Deployment/" + OPERATOR, "PodDisruptionBudget/" + OPERATOR), DeployFiles.describe(objects));
    assertEquals("provided", DeployFiles.one(objects, Deployment.class, OPERATOR)
        .getSpec().getTemplate().getSpec().getServiceAccountName());
  }

  @Test
  void schedulingValuesReachThePod() {
    List<HasMetadata> objects = render(t -> t
        .set("nodeSelector.kubernetes\\.io/os", "linux")
        .set("tolerations[0].key", "dedicated")
        .set("tolerations[0].operator", "Exists")
        .set("resources.limits.memory", "1Gi")
        .set("imagePullSecrets[0].name", "regcred"));
    PodSpec pod = DeployFiles.one(objects, Deployment.class, OPERATOR).getSpec().getTemplate().getSpec();
    assertEquals(Map.of("kubernetes.io/os", "linux"), pod.getNodeSelector());
    assertEquals("dedicated", pod.getTolerations().get(0).getKey());
    assertEquals("regcred", pod.getImagePullSecrets().get(0).getName());
    assertEquals("1Gi", pod.getContainers().get(0).getResources().getLimits().get("memory").toString());
  }
}
