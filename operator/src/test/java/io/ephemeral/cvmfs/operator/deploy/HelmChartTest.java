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
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRule;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.api.model.rbac.Subject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
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
    assertTrue(env.get("JDK_JAVA_OPTIONS").getValue().contains("-Dcvmfs.log.level=info"));
    assertEquals("text", env.get("CVMFS_LOG_FORMAT").getValue());

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
        .set("logLevel", "debug")
        .set("logFormat", "json"));
    Container container = operatorContainer(DeployFiles.one(objects, Deployment.class, OPERATOR));
    assertEquals("registry.example.org/cvmfs/operator:1.2.3", container.getImage());
    assertEquals("Always", container.getImagePullPolicy());
    Map<String, EnvVar> env = env(container);
    assertEquals("registry.example.org/cvmfs/operator:1.2.3", env.get("CVMFS_OPERATOR_IMAGE").getValue(),
        "the maintenance CronJob runs the operator's own image");
    assertEquals("registry.example.org/cvmfs/data-plane:1.2.4", env.get("CVMFS_OPERATOR_DATA_PLANE_IMAGE").getValue());
    assertTrue(env.get("JDK_JAVA_OPTIONS").getValue().contains("-Dcvmfs.log.level=debug"));
    assertEquals("json", env.get("CVMFS_LOG_FORMAT").getValue());
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
        {"logFormat", "yaml", "logFormat"},
        {"image.digest", "latest", "digest"},
        {"intervals.retry", "soon", "retry"},
        {"intervals.status", "1 minute", "status"},
        {"extraEnv", "HTTPS_PROXY=x", "extraEnv"},
        {"resources", "big", "resources"},
        {"networkPolicy.enabled", "yes", "enabled"},
        {"networkPolicy.metricsFrom", "monitoring", "metricsFrom"},
        {"metrics.serviceMonitor.enabled", "yes", "enabled"},
        {"metrics.serviceMonitor.interval", "often", "interval"},
        {"metrics.serviceMonitor.labels", "kps", "labels"},
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

  @Test
  void operatorSettingsReachTheContainer() {
    List<HasMetadata> objects = render(t -> t
        .set("replicas", "3")
        .set("intervals.status", "2m")
        .set("intervals.publicationCheck", "45s")
        .set("intervals.retry", "5s")
        .set("clusterDomain", "k8s.example.org")
        .set("extraEnv[0].name", "HTTPS_PROXY")
        .set("extraEnv[0].value", "http://proxy:3128")
        .set("resources.requests.cpu", "250m")
        .set("javaOptions", "-Xss512k"));
    Deployment deployment = DeployFiles.one(objects, Deployment.class, OPERATOR);
    assertEquals(3, deployment.getSpec().getReplicas());
    Container container = operatorContainer(deployment);
    Map<String, EnvVar> env = env(container);
    assertEquals("2m", env.get("CVMFS_OPERATOR_STATUS_INTERVAL").getValue());
    assertEquals("45s", env.get("CVMFS_OPERATOR_PUBLICATION_CHECK_INTERVAL").getValue());
    assertEquals("5s", env.get("CVMFS_OPERATOR_RETRY_INTERVAL").getValue());
    assertEquals("k8s.example.org", env.get("CVMFS_OPERATOR_CLUSTER_DOMAIN").getValue());
    assertEquals("http://proxy:3128", env.get("HTTPS_PROXY").getValue());
    assertTrue(env.get("JDK_JAVA_OPTIONS").getValue().startsWith("-Xss512k "));
    assertEquals("250m", container.getResources().getRequests().get("cpu").toString());

    Map<String, EnvVar> defaults = env(operatorContainer(DeployFiles.one(renderDefaults(), Deployment.class, OPERATOR)));
    assertEquals("60s", defaults.get("CVMFS_OPERATOR_STATUS_INTERVAL").getValue());
    assertEquals("30s", defaults.get("CVMFS_OPERATOR_PUBLICATION_CHECK_INTERVAL").getValue());
    assertEquals("15s", defaults.get("CVMFS_OPERATOR_RETRY_INTERVAL").getValue());
  }

  @Test
  void serviceMonitorScrapesTheOperatorsHealthPort() {
    List<HasMetadata> objects = render(t -> t
        .set("metrics.serviceMonitor.enabled", "true")
        .set("metrics.serviceMonitor.interval", "15s")
        .set("metrics.serviceMonitor.labels.release", "kube-prometheus-stack"));
    String metricsService = OPERATOR + "-metrics";
    assertTrue(DeployFiles.describe(objects).containsAll(List.of("Service/" + metricsService,
        "ServiceMonitor/" + OPERATOR)), () -> DeployFiles.describe(objects).toString());
    Deployment deployment = DeployFiles.one(objects, Deployment.class, OPERATOR);
    Map<String, String> podSelector = deployment.getSpec().getSelector().getMatchLabels();

    Service service = DeployFiles.one(objects, Service.class, metricsService);
    assertEquals(SYSTEM_NAMESPACE, service.getMetadata().getNamespace());
    assertEquals(podSelector, service.getSpec().getSelector(), "the Service selects the Deployment's pods");
    assertEquals(1, service.getSpec().getPorts().size());
    ServicePort port = service.getSpec().getPorts().get(0);
    ContainerPort health = operatorContainer(deployment).getPorts().get(0);
    assertEquals(health.getName(), port.getTargetPort().getStrVal(), "the Service targets the container's port");
    assertEquals(8081, port.getPort());

    GenericKubernetesResource monitor = DeployFiles.one(objects, GenericKubernetesResource.class, OPERATOR);
    assertEquals("monitoring.coreos.com/v1", monitor.getApiVersion());
    assertEquals("ServiceMonitor", monitor.getKind());
    assertEquals(SYSTEM_NAMESPACE, monitor.getMetadata().getNamespace());
    assertEquals("kube-prometheus-stack", monitor.getMetadata().getLabels().get("release"));
    JsonNode spec = DeployFiles.tree(monitor).path("spec");
    assertEquals(SYSTEM_NAMESPACE, spec.path("namespaceSelector").path("matchNames").get(0).asText());
    Map<String, String> selector = new HashMap<>();
    spec.path("selector").path("matchLabels").fields().forEachRemaining(e -> selector.put(e.getKey(), e.getValue().asText()));
    assertEquals(selector, filter(service.getMetadata().getLabels(), selector), "the ServiceMonitor selects the Service");
    List<Service> selected = objects.stream().filter(Service.class::isInstance).map(Service.class::cast)
        .filter(s -> filter(s.getMetadata().getLabels(), selector).equals(selector)).collect(Collectors.toList());
    assertEquals(List.of(service), selected, "and no other Service of the release");
    JsonNode endpoint = spec.path("endpoints").get(0);
    assertEquals(port.getName(), endpoint.path("port").asText());
    assertEquals("/metrics", endpoint.path("path").asText());
    assertEquals("15s", endpoint.path("interval").asText());
    assertFalse(endpoint.has("scrapeTimeout"), "no value, no field: Prometheus' default");
  }

  @Test
  void networkPolicyAdmitsOnlyTheHealthPort() {
    List<HasMetadata> objects = render(t -> t.set("networkPolicy.enabled", "true"));
    Deployment deployment = DeployFiles.one(objects, Deployment.class, OPERATOR);
    NetworkPolicy policy = DeployFiles.one(objects, NetworkPolicy.class, OPERATOR);
    assertEquals(SYSTEM_NAMESPACE, policy.getMetadata().getNamespace());
    assertEquals(deployment.getSpec().getSelector().getMatchLabels(), policy.getSpec().getPodSelector().getMatchLabels(),
        "the policy selects the operator's pods");
    assertTrue(policy.getSpec().getPodSelector().getMatchExpressions() == null
        || policy.getSpec().getPodSelector().getMatchExpressions().isEmpty());
    assertEquals(List.of("Ingress"), policy.getSpec().getPolicyTypes(), "egress stays open");
    assertEquals(1, policy.getSpec().getIngress().size());
    NetworkPolicyIngressRule rule = policy.getSpec().getIngress().get(0);
    assertEquals(1, rule.getPorts().size());
    assertEquals(operatorContainer(deployment).getPorts().get(0).getContainerPort(),
        rule.getPorts().get(0).getPort().getIntVal());
    assertEquals("TCP", rule.getPorts().get(0).getProtocol());
    assertTrue(rule.getFrom() == null || rule.getFrom().isEmpty(), "any source by default");

    NetworkPolicy narrowed = DeployFiles.one(render(t -> t.set("networkPolicy.enabled", "true")
        .set("networkPolicy.metricsFrom[0].namespaceSelector.matchLabels.kubernetes\\.io/metadata\\.name",
            "monitoring")), NetworkPolicy.class, OPERATOR);
    assertEquals(Map.of("kubernetes.io/metadata.name", "monitoring"),
        narrowed.getSpec().getIngress().get(0).getFrom().get(0).getNamespaceSelector().getMatchLabels());
  }

  @Test
  void theOptionalObjectsAreOffByDefault() {
    List<String> kinds = DeployFiles.describe(renderDefaults());
    assertTrue(kinds.stream().noneMatch(k -> k.startsWith("Service/") || k.startsWith("ServiceMonitor/")
        || k.startsWith("NetworkPolicy/")), kinds::toString);
  }
}
