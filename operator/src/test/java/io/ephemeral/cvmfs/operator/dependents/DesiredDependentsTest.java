package io.ephemeral.cvmfs.operator.dependents;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ephemeral.cvmfs.common.observability.LogFormat;
import io.ephemeral.cvmfs.operator.OperatorConfig;
import io.ephemeral.cvmfs.operator.api.CvmfsRepository;
import io.ephemeral.cvmfs.operator.api.CvmfsRepositorySpec;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * What each dependent wants, without a cluster: its name, namespace, owner and labels, and that
 * every selector selects the pods it is meant for. Repository names span a short label, a dotted
 * name and one too long for a label.
 */
class DesiredDependentsTest {

  private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
  private static final OperatorConfig CONFIG = OperatorConfig.local();

  static Stream<CvmfsRepository> repositories() {
    return Stream.of("builds", "demo.example.org", "pipelines." + "x".repeat(60) + ".example.org")
        .map(DesiredDependentsTest::repository);
  }

  private static CvmfsRepository repository(String name) {
    CvmfsRepository repository = new CvmfsRepository();
    repository.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace("ci").withUid("uid-" + name).build());
    repository.setSpec(CvmfsRepositorySpec.defaults());
    return repository;
  }

  /** A dependent's own name for a repository's object, and the object it wants. */
  private record Wanted(String name, HasMetadata desired) {
  }

  private static List<Wanted> wanted(CvmfsRepository r) {
    DataPlaneDeployment dataPlane = new DataPlaneDeployment(CONFIG);
    DataPlaneService service = new DataPlaneService();
    DataVolumeClaim claim = new DataVolumeClaim();
    MaintenanceCronJob cronJob = new MaintenanceCronJob(CONFIG);
    MaintenanceRole role = new MaintenanceRole();
    MaintenanceRoleBinding binding = new MaintenanceRoleBinding();
    MaintenanceServiceAccount account = new MaintenanceServiceAccount();
    NotificationRelayDeployment relays = new NotificationRelayDeployment(CONFIG);
    NotificationRelayService relayService = new NotificationRelayService();
    NotificationRelayDisruptionBudget budget = new NotificationRelayDisruptionBudget();
    DataPlaneDisruptionBudget dataPlaneBudget = new DataPlaneDisruptionBudget();
    return List.of(
        new Wanted(dataPlane.resourceName(r), dataPlane.desired(r, null)),
        new Wanted(service.resourceName(r), service.desired(r, null)),
        new Wanted(RepositoryResources.dataClaim(r), claim.desired(r, null)),
        new Wanted(cronJob.resourceName(r), cronJob.desired(r, null)),
        new Wanted(role.resourceName(r), role.desired(r, null)),
        new Wanted(binding.resourceName(r), binding.desired(r, null)),
        new Wanted(account.resourceName(r), account.desired(r, null)),
        new Wanted(relays.resourceName(r), relays.desired(r, null)),
        new Wanted(relayService.resourceName(r), relayService.desired(r, null)),
        new Wanted(budget.resourceName(r), budget.desired(r, null)),
        new Wanted(dataPlaneBudget.resourceName(r), dataPlaneBudget.desired(r, null)));
  }

  @ParameterizedTest
  @MethodSource("repositories")
  void everyDependentIsNamedOwnedAndLabelledForItsRepository(CvmfsRepository repository) {
    for (Wanted wanted : wanted(repository)) {
      HasMetadata desired = wanted.desired();
      String kind = desired.getKind();
      String name = desired.getMetadata().getName();
      assertEquals(wanted.name(), name, kind);
      assertTrue(DNS_LABEL.matcher(name).matches() && name.length() <= 63, kind + " " + name);
      assertEquals("ci", desired.getMetadata().getNamespace(), kind);
      assertEquals(1, desired.getMetadata().getOwnerReferences().size(), kind);
      assertEquals(repository.getMetadata().getUid(), desired.getMetadata().getOwnerReferences().get(0).getUid(), kind);
      Map<String, String> labels = desired.getMetadata().getLabels();
      assertEquals("cvmfs-ephemeral", labels.get("app.kubernetes.io/name"), kind);
      assertTrue(labels.get("app.kubernetes.io/instance").length() <= 63, kind);
    }
  }

  @ParameterizedTest
  @MethodSource("repositories")
  void eachSelectorSelectsThePodsItServes(CvmfsRepository repository) {
    Deployment dataPlane = new DataPlaneDeployment(CONFIG).desired(repository, null);
    Deployment relays = new NotificationRelayDeployment(CONFIG).desired(repository, null);
    Service dataPlaneService = new DataPlaneService().desired(repository, null);
    Service relayService = new NotificationRelayService().desired(repository, null);
    PodDisruptionBudget budget = new NotificationRelayDisruptionBudget().desired(repository, null);
    PodDisruptionBudget dataPlaneBudget = new DataPlaneDisruptionBudget().desired(repository, null);

    Map<String, String> dataPlanePods = dataPlane.getSpec().getTemplate().getMetadata().getLabels();
    Map<String, String> relayPods = relays.getSpec().getTemplate().getMetadata().getLabels();
    assertSelects(dataPlane.getSpec().getSelector().getMatchLabels(), dataPlanePods);
    assertSelects(dataPlaneService.getSpec().getSelector(), dataPlanePods);
    assertSelects(relays.getSpec().getSelector().getMatchLabels(), relayPods);
    assertSelects(relayService.getSpec().getSelector(), relayPods);
    assertSelects(budget.getSpec().getSelector().getMatchLabels(), relayPods);
    assertSelects(dataPlaneBudget.getSpec().getSelector().getMatchLabels(), dataPlanePods);
    assertTrue(!selects(dataPlaneBudget.getSpec().getSelector().getMatchLabels(), relayPods));
    // Neither selects the other's pods: a Service must not send clients to the wrong kind of pod.
    assertTrue(!selects(dataPlaneService.getSpec().getSelector(), relayPods));
    assertTrue(!selects(relayService.getSpec().getSelector(), dataPlanePods));
  }

  @Test
  void twoRepositoriesNeverSelectEachOthersPods() {
    CvmfsRepository one = repository("demo.example.org");
    CvmfsRepository other = repository("demo-example-org");
    Map<String, String> otherPods = new DataPlaneDeployment(CONFIG).desired(other, null)
        .getSpec().getTemplate().getMetadata().getLabels();
    assertTrue(!selects(new DataPlaneService().desired(one, null).getSpec().getSelector(), otherPods));
  }

  @ParameterizedTest
  @EnumSource(LogFormat.class)
  void thePodsLogAsTheOperatorDoes(LogFormat format) {
    OperatorConfig config = new OperatorConfig(CONFIG.namespaces(), CONFIG.dataPlaneImage(), CONFIG.operatorImage(),
        CONFIG.healthPort(), CONFIG.statusInterval(), CONFIG.publicationCheckInterval(), CONFIG.retryInterval(),
        CONFIG.clusterDomain(), CONFIG.leaseNamespace(), format);
    CvmfsRepository repository = repository("builds");
    for (Deployment deployment : List.of(new DataPlaneDeployment(config).desired(repository, null),
        new NotificationRelayDeployment(config).desired(repository, null))) {
      assertEquals(List.of(format.toString()), deployment.getSpec().getTemplate().getSpec().getContainers().get(0)
          .getEnv().stream().filter(e -> e.getName().equals("CVMFS_LOG_FORMAT")).map(e -> e.getValue()).toList(),
          deployment.getMetadata().getName());
    }
  }

  private static void assertSelects(Map<String, String> selector, Map<String, String> labels) {
    assertTrue(!selector.isEmpty() && selects(selector, labels), selector + " does not select " + labels);
  }

  private static boolean selects(Map<String, String> selector, Map<String, String> labels) {
    return labels.entrySet().containsAll(selector.entrySet());
  }
}
