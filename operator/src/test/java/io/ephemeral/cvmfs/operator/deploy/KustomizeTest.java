package io.ephemeral.cvmfs.operator.deploy;

import static io.ephemeral.cvmfs.operator.deploy.DeployFiles.OPERATOR;
import static io.ephemeral.cvmfs.operator.deploy.DeployFiles.SYSTEM_NAMESPACE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * config/ renders with `kubectl kustomize` into what the chart installs. Deliberately no
 * skipping: without kubectl this fails (.ci/run installs one).
 */
class KustomizeTest {

  private static final String PART_OF = "app.kubernetes.io/part-of";
  private static final String DEMO = "cvmfs-demo";

  /** Each directory is rendered once for all tests. */
  private static final Map<String, String> RENDERED = new ConcurrentHashMap<>();

  static String kustomize(String directory) {
    return RENDERED.computeIfAbsent(directory, KustomizeTest::runKustomize);
  }

  /** Output of `kubectl kustomize DIR`; the binary may be named by the environment variable KUBECTL. */
  private static String runKustomize(String directory) {
    String kubectl = System.getenv().getOrDefault("KUBECTL", "kubectl");
    Path dir = DeployFiles.project().resolve(directory);
    Process process;
    try {
      process = new ProcessBuilder(kubectl, "kustomize", dir.toString()).start();
    } catch (IOException e) {
      throw new AssertionError("cannot run " + kubectl + " (install kubectl, e.g. Debian's kubernetes-client,"
          + " as .ci/run does): " + e.getMessage(), e);
    }
    try {
      process.getOutputStream().close();
      CompletableFuture<String> stderr = CompletableFuture.supplyAsync(() -> drain(process.getErrorStream()));
      String stdout = drain(process.getInputStream());
      if (!process.waitFor(60, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        fail(kubectl + " kustomize " + directory + " did not finish within 60 s");
      }
      assertEquals(0, process.exitValue(), () -> kubectl + " kustomize " + directory + " failed: " + stderr.join());
      return stdout;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  private static String drain(InputStream in) {
    try (in) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      in.transferTo(out);
      return out.toString(StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static boolean clusterScoped(HasMetadata object) {
    return Set.of("Namespace", "CustomResourceDefinition", "ClusterRole", "ClusterRoleBinding").contains(object.getKind());
  }

  @Test
  void defaultRendersTheOperatorInItsNamespace() {
    List<HasMetadata> objects = DeployFiles.parse(kustomize("config/default"));
    assertEquals(List.of(
        "ClusterRole/" + OPERATOR,
        "ClusterRoleBinding/" + OPERATOR,
        "CustomResourceDefinition/cvmfspublications.cvmfs.ephemeral.io",
        "CustomResourceDefinition/cvmfsrepositories.cvmfs.ephemeral.io",
        "Deployment/" + OPERATOR,
        "Namespace/" + SYSTEM_NAMESPACE,
        "PodDisruptionBudget/" + OPERATOR,
        "Role/" + OPERATOR + "-leader-election",
        "RoleBinding/" + OPERATOR + "-leader-election",
        "ServiceAccount/" + OPERATOR), DeployFiles.describe(objects), "config/default holds no samples");
    for (HasMetadata object : objects) {
      String what = object.getKind() + "/" + object.getMetadata().getName();
      if (clusterScoped(object)) {
        assertNull(object.getMetadata().getNamespace(), what + " is cluster-scoped");
      } else {
        assertEquals(SYSTEM_NAMESPACE, object.getMetadata().getNamespace(), what);
      }
      assertEquals("cvmfs-ephemeral", object.getMetadata().getLabels().get(PART_OF), what + " carries the common label");
    }
    ClusterRoleBinding binding = DeployFiles.one(objects, ClusterRoleBinding.class, OPERATOR);
    assertEquals(OPERATOR, binding.getRoleRef().getName());
    assertEquals(SYSTEM_NAMESPACE, binding.getSubjects().get(0).getNamespace());
    assertEquals(OPERATOR, binding.getSubjects().get(0).getName());
    assertEquals(OPERATOR, DeployFiles.one(objects, Deployment.class, OPERATOR)
        .getSpec().getTemplate().getSpec().getServiceAccountName());
    assertEquals("restricted", DeployFiles.one(objects, Namespace.class, SYSTEM_NAMESPACE)
        .getMetadata().getLabels().get("pod-security.kubernetes.io/enforce"));
  }

  @Test
  void renderedCrdsAreTheCheckedInOnes() {
    List<HasMetadata> objects = DeployFiles.parse(kustomize("config/default"));
    for (String file : DeployFiles.CRD_FILES) {
      // Both sides typed, so that a number compares equal whether the model holds it as int or long.
      JsonNode expected = DeployFiles.tree(DeployFiles.parse(
          DeployFiles.read(DeployFiles.project().resolve("crds").resolve(file))).get(0));
      String name = expected.path("metadata").path("name").asText();
      JsonNode rendered = DeployFiles.tree(DeployFiles.one(objects, CustomResourceDefinition.class, name));
      assertEquals(Map.of(PART_OF, "cvmfs-ephemeral"),
          DeployFiles.one(objects, CustomResourceDefinition.class, name).getMetadata().getLabels());
      assertEquals(DeployFiles.withoutLabels(expected), DeployFiles.withoutLabels(rendered),
          "config/default renders " + name + " other than crds/" + file);
    }
  }

  @Test
  void rbacAndOperatorPodMatchTheChart() {
    List<HasMetadata> kustomized = DeployFiles.parse(kustomize("config/default"));
    List<HasMetadata> helm = HelmChartTest.renderDefaults();

    ClusterRole role = DeployFiles.one(kustomized, ClusterRole.class, OPERATOR);
    DeployFiles.assertOperatorRules(role.getRules(), "config/rbac's ClusterRole");
    assertEquals(DeployFiles.one(helm, ClusterRole.class, OPERATOR).getRules(), role.getRules(),
        "config/rbac/role.yaml and the chart's clusterrole.yaml list the same rules in the same order");

    ClusterRoleBinding binding = DeployFiles.one(kustomized, ClusterRoleBinding.class, OPERATOR);
    ClusterRoleBinding helmBinding = DeployFiles.one(helm, ClusterRoleBinding.class, OPERATOR);
    assertEquals(helmBinding.getRoleRef(), binding.getRoleRef());
    assertEquals(helmBinding.getSubjects(), binding.getSubjects());
    DeployFiles.one(kustomized, ServiceAccount.class, OPERATOR);
    assertEquals(DeployFiles.tree(DeployFiles.one(helm, PodDisruptionBudget.class, OPERATOR).getSpec()),
        DeployFiles.tree(DeployFiles.one(kustomized, PodDisruptionBudget.class, OPERATOR).getSpec()),
        "the same disruption budget, selecting the same pods");
    String lease = OPERATOR + "-leader-election";
    assertEquals(DeployFiles.one(helm, Role.class, lease).getRules(), DeployFiles.one(kustomized, Role.class, lease).getRules());
    assertEquals(DeployFiles.one(helm, RoleBinding.class, lease).getSubjects(),
        DeployFiles.one(kustomized, RoleBinding.class, lease).getSubjects());

    Deployment deployment = DeployFiles.one(kustomized, Deployment.class, OPERATOR);
    Deployment helmDeployment = DeployFiles.one(helm, Deployment.class, OPERATOR);
    assertEquals(helmDeployment.getSpec().getReplicas(), deployment.getSpec().getReplicas());
    assertEquals(helmDeployment.getSpec().getStrategy(), deployment.getSpec().getStrategy());
    PodSpec pod = deployment.getSpec().getTemplate().getSpec();
    PodSpec helmPod = helmDeployment.getSpec().getTemplate().getSpec();
    assertEquals(helmPod.getSecurityContext(), pod.getSecurityContext());
    assertEquals(helmPod.getVolumes(), pod.getVolumes());
    assertEquals(helmPod.getTerminationGracePeriodSeconds(), pod.getTerminationGracePeriodSeconds());
    Container container = pod.getContainers().get(0);
    Container helmContainer = helmPod.getContainers().get(0);
    assertEquals(helmContainer, container, "config/manager/manager.yaml runs the operator as the chart does");
    Map<String, EnvVar> env = HelmChartTest.env(container);
    assertEquals(DeployFiles.OPERATOR_IMAGE, container.getImage());
    assertEquals(container.getImage(), env.get("CVMFS_OPERATOR_IMAGE").getValue());
    assertEquals(DeployFiles.DATA_PLANE_IMAGE, env.get("CVMFS_OPERATOR_DATA_PLANE_IMAGE").getValue());
  }

  /** config/prometheus and config/network-policy, applied on top of config/default, are the chart's optional objects. */
  @Test
  void optionalMonitoringAndNetworkPolicyMatchTheChart() {
    List<HasMetadata> helm = HelmChartTest.render(t -> t
        .set("metrics.serviceMonitor.enabled", "true")
        .set("networkPolicy.enabled", "true"));
    List<HasMetadata> monitoring = DeployFiles.parse(kustomize("config/prometheus"));
    List<HasMetadata> policies = DeployFiles.parse(kustomize("config/network-policy"));
    String metrics = OPERATOR + "-metrics";
    assertEquals(List.of("Service/" + metrics, "ServiceMonitor/" + OPERATOR), DeployFiles.describe(monitoring));
    assertEquals(List.of("NetworkPolicy/" + OPERATOR), DeployFiles.describe(policies));
    for (HasMetadata object : DeployFiles.parse(kustomize("config/prometheus") + "\n---\n" + kustomize("config/network-policy"))) {
      assertEquals(SYSTEM_NAMESPACE, object.getMetadata().getNamespace(), object.getKind());
      assertEquals("cvmfs-ephemeral", object.getMetadata().getLabels().get(PART_OF), object.getKind());
    }

    Map<String, String> podSelector = DeployFiles.one(DeployFiles.parse(kustomize("config/default")), Deployment.class,
        OPERATOR).getSpec().getSelector().getMatchLabels();
    Service service = DeployFiles.one(monitoring, Service.class, metrics);
    assertEquals(podSelector, service.getSpec().getSelector(), "the Service selects config/manager's pods");
    assertEquals(DeployFiles.tree(DeployFiles.one(helm, Service.class, metrics).getSpec()),
        DeployFiles.tree(service.getSpec()), "the chart's metrics Service");
    assertEquals(DeployFiles.tree(DeployFiles.one(helm, GenericKubernetesResource.class, OPERATOR)).path("spec"),
        DeployFiles.tree(DeployFiles.one(monitoring, GenericKubernetesResource.class, OPERATOR)).path("spec"),
        "the chart's ServiceMonitor");

    NetworkPolicy policy = DeployFiles.one(policies, NetworkPolicy.class, OPERATOR);
    assertEquals(podSelector, policy.getSpec().getPodSelector().getMatchLabels(), "the policy selects config/manager's pods");
    assertEquals(DeployFiles.tree(DeployFiles.one(helm, NetworkPolicy.class, OPERATOR).getSpec()),
        DeployFiles.tree(policy.getSpec()), "the chart's NetworkPolicy");
  }

  @Test
  void samplesAreValidCustomResources() {
    List<HasMetadata> objects = DeployFiles.parse(kustomize("config/samples"));
    assertEquals(List.of(
        "CvmfsPublication/pipeline-1234",
        "CvmfsPublication/tool-1.4.2",
        "CvmfsRepository/builds",
        "Namespace/" + DEMO,
        "Role/cvmfs-publisher",
        "RoleBinding/cvmfs-publisher",
        "ServiceAccount/cvmfs-publisher"), DeployFiles.describe(objects));
    objects.stream().filter(o -> !clusterScoped(o))
        .forEach(o -> assertEquals(DEMO, o.getMetadata().getNamespace(), o.getKind() + "/" + o.getMetadata().getName()));

    Path crds = DeployFiles.project().resolve("crds");
    JsonNode repositorySchema = DeployFiles.schemaOf(crds.resolve("cvmfsrepositories.cvmfs.ephemeral.io-v1.yml"));
    JsonNode publicationSchema = DeployFiles.schemaOf(crds.resolve("cvmfspublications.cvmfs.ephemeral.io-v1.yml"));
    for (HasMetadata object : objects) {
      String what = object.getKind() + "/" + object.getMetadata().getName();
      if (object.getKind().startsWith("Cvmfs")) {
        assertEquals("cvmfs.ephemeral.io/v1alpha1", object.getApiVersion(), what);
        JsonNode spec = DeployFiles.tree(object).path("spec");
        DeployFiles.assertConforms(spec, (object.getKind().equals("CvmfsRepository") ? repositorySchema : publicationSchema)
            .path("properties").path("spec"), what + ".spec");
      }
    }

    JsonNode byUrl = DeployFiles.tree(DeployFiles.one(objects, GenericKubernetesResource.class, "tool-1.4.2"))
        .path("spec").path("source");
    assertTrue(byUrl.has("url") && byUrl.has("sha256") && !byUrl.has("upload"), "a URL source with its sha256: " + byUrl);
    JsonNode byUpload = DeployFiles.tree(DeployFiles.one(objects, GenericKubernetesResource.class, "pipeline-1234"))
        .path("spec").path("source");
    assertTrue(byUpload.has("upload") && !byUpload.has("url"), "an upload source: " + byUpload);
    for (String name : List.of("tool-1.4.2", "pipeline-1234")) {
      assertEquals("builds", DeployFiles.tree(DeployFiles.one(objects, GenericKubernetesResource.class, name))
          .path("spec").path("repository").asText(), name + " names the sample repository");
    }

    RoleBinding binding = DeployFiles.one(objects, RoleBinding.class, "cvmfs-publisher");
    assertEquals(DEMO, binding.getSubjects().get(0).getNamespace());
    assertTrue(DeployFiles.one(objects, Role.class, "cvmfs-publisher").getRules().stream()
        .anyMatch(r -> r.getResources().contains("cvmfspublications") && r.getVerbs().contains("create")));
  }

  @Test
  void tektonTaskPushesWithTheClientOrCreatesAnOwnedPublication() {
    List<HasMetadata> objects = DeployFiles.parse(kustomize("config/samples/tekton"));
    assertEquals(List.of("Task/cvmfs-publish"), DeployFiles.describe(objects));
    JsonNode task = DeployFiles.tree(objects.get(0));
    assertEquals("tekton.dev/v1", task.path("apiVersion").asText());
    assertEquals(DEMO, task.path("metadata").path("namespace").asText());
    assertEquals("source", task.path("spec").path("workspaces").get(0).path("name").asText());
    assertTrue(step(task.path("spec").path("params"), "image").path("default").asText()
        .startsWith("ghcr.io/cvmfs-ephemeral/data-plane:"), "the client comes with the data-plane image");
    assertRestricted(task.path("spec").path("stepTemplate").path("securityContext"));
    assertEquals(65532, task.path("spec").path("stepTemplate").path("securityContext").path("runAsUser").asInt());

    JsonNode publish = step(task.path("spec").path("steps"), "publish");
    assertEquals("$(params.image)", publish.path("image").asText());
    assertTokenFromSecret(publish.path("env"), "$(params.repository)-token");
    String script = publish.path("script").asText();
    assertTrue(script.contains("-jar /opt/cvmfs-ephemeral/cvmfs-ephemeral-data-plane.jar"), script);
    assertTrue(script.contains("$client push \"$dir\" --to \"$server/$(params.fqrn)/$path\" --ttl \"$(params.ttl)\""
        + " --wait-visible"), script);
    assertTrue(script.contains("server=\"http://$(params.repository).$(context.taskRun.namespace).svc\""), script);
    assertTrue(script.contains("push \"$dir\" --stage --to \"$server/$(params.fqrn)\" > /scratch/upload"), script);

    String publication = step(task.path("spec").path("steps"), "publication").path("script").asText();
    assertTrue(publication.contains("\"ownerReferences\"") && publication.contains("\"kind\": \"CvmfsPublication\"")
        && publication.contains("kubectl create -f -"), publication);
    for (JsonNode step : task.path("spec").path("steps")) {
      String text = step.toString();
      assertFalse(text.contains("apk ") || text.contains("curl ") || text.contains("alpine"), text);
      assertFalse(step.has("securityContext"), "every step has the template's restricted context");
    }
  }

  @Test
  void argoWorkflowTemplatePushesWithTheClientOrCreatesAnOwnedPublication() {
    List<HasMetadata> objects = DeployFiles.parse(kustomize("config/samples/argo"));
    assertEquals(List.of("WorkflowTemplate/cvmfs-publish"), DeployFiles.describe(objects));
    JsonNode spec = DeployFiles.tree(objects.get(0)).path("spec");
    assertEquals("cvmfs-publisher", spec.path("serviceAccountName").asText());
    JsonNode pod = spec.path("securityContext");
    assertTrue(pod.path("runAsNonRoot").asBoolean(), pod.toString());
    assertEquals(65532, pod.path("runAsUser").asInt());
    assertEquals(65532, pod.path("fsGroup").asInt());
    assertEquals("RuntimeDefault", pod.path("seccompProfile").path("type").asText());
    assertTrue(step(spec.path("arguments").path("parameters"), "image").path("value").asText()
        .startsWith("ghcr.io/cvmfs-ephemeral/data-plane:"));

    JsonNode stream = step(spec.path("templates"), "stream").path("container");
    assertEquals("{{workflow.parameters.image}}", stream.path("image").asText());
    assertTokenFromSecret(stream.path("env"), "{{inputs.parameters.repository}}-token");
    assertEquals(List.of("java", "-XX:TieredStopAtLevel=1", "-jar", "/opt/cvmfs-ephemeral/cvmfs-ephemeral-data-plane.jar"),
        strings(stream.path("command")));
    assertEquals(List.of("push", "{{inputs.parameters.directory}}", "--to",
        "http://{{inputs.parameters.repository}}.{{workflow.namespace}}.svc/{{inputs.parameters.fqrn}}/"
            + "{{inputs.parameters.path}}", "--ttl", "{{inputs.parameters.ttl}}", "--wait-visible"),
        strings(stream.path("args")));
    assertRestricted(stream.path("securityContext"));

    JsonNode stage = step(spec.path("templates"), "stage").path("script");
    assertTokenFromSecret(stage.path("env"), "{{inputs.parameters.repository}}-token");
    assertTrue(stage.path("source").asText().contains("--stage"), stage.toString());
    assertRestricted(stage.path("securityContext"));
    assertRestricted(step(spec.path("templates"), "build").path("script").path("securityContext"));
    for (JsonNode template : spec.path("templates")) {
      String text = template.toString();
      assertFalse(text.contains("apk ") || text.contains("curl ") || text.contains("zstd"), text);
    }

    JsonNode resource = step(spec.path("templates"), "publication").path("resource");
    assertTrue(resource.path("setOwnerReference").asBoolean(), "the publication is owned by the Workflow");
    assertEquals("create", resource.path("action").asText());
    JsonNode manifest = DeployFiles.tree(resource.path("manifest").asText());
    assertEquals("CvmfsPublication", manifest.path("kind").asText());
    assertEquals("cvmfs.ephemeral.io/v1alpha1", manifest.path("apiVersion").asText());
    assertTrue(manifest.path("spec").path("source").has("upload"));
    assertEquals("tar", manifest.path("spec").path("format").asText(), "push --stage sends a tar");
    for (String field : List.of("repository", "path", "ttl", "format")) {
      assertTrue(manifest.path("spec").has(field), "the publication names " + field);
    }
  }

  /** A container's securityContext of Pod Security "restricted": no escalation, no capabilities. */
  private static void assertRestricted(JsonNode context) {
    assertFalse(context.path("allowPrivilegeEscalation").asBoolean(true), context.toString());
    assertEquals(List.of("ALL"), strings(context.path("capabilities").path("drop")), context.toString());
    if (context.has("runAsNonRoot")) {
      assertTrue(context.path("runAsNonRoot").asBoolean(), context.toString());
      assertEquals("RuntimeDefault", context.path("seccompProfile").path("type").asText(), context.toString());
    }
  }

  private static List<String> strings(JsonNode array) {
    List<String> values = new java.util.ArrayList<>();
    array.forEach(value -> values.add(value.asText()));
    return values;
  }

  private static JsonNode step(JsonNode list, String name) {
    for (JsonNode item : list) {
      if (name.equals(item.path("name").asText())) {
        return item;
      }
    }
    throw new AssertionError("no " + name + " in " + list);
  }

  private static void assertTokenFromSecret(JsonNode env, String secret) {
    JsonNode token = step(env, "CVMFS_EPHEMERAL_TOKEN").path("valueFrom").path("secretKeyRef");
    assertEquals(secret, token.path("name").asText());
    assertEquals("token", token.path("key").asText());
    assertFalse(step(env, "CVMFS_EPHEMERAL_TOKEN").has("value"), "the token comes from the Secret only");
  }
}
