package io.ephemeral.cvmfs.operator.reconcilers;

import io.ephemeral.cvmfs.dataplane.format.HashAlgorithm;
import io.ephemeral.cvmfs.dataplane.format.Whitelist;
import io.ephemeral.cvmfs.dataplane.maintenance.InvalidWhitelistException;
import io.ephemeral.cvmfs.operator.OperatorConfig;
import io.ephemeral.cvmfs.operator.api.Condition;
import io.ephemeral.cvmfs.operator.api.CvmfsRepository;
import io.ephemeral.cvmfs.operator.api.CvmfsRepositoryStatus;
import io.ephemeral.cvmfs.operator.dataplane.DataPlaneClient;
import io.ephemeral.cvmfs.operator.dataplane.DataPlaneException;
import io.ephemeral.cvmfs.operator.dataplane.DataPlaneLocator;
import io.ephemeral.cvmfs.operator.dependents.ClientConfigMap;
import io.ephemeral.cvmfs.operator.dependents.DataPlaneDeployment;
import io.ephemeral.cvmfs.operator.dependents.DataPlaneService;
import io.ephemeral.cvmfs.operator.dependents.DataVolumeClaim;
import io.ephemeral.cvmfs.operator.dependents.MaintenanceCronJob;
import io.ephemeral.cvmfs.operator.dependents.MaintenanceRole;
import io.ephemeral.cvmfs.operator.dependents.MaintenanceRoleBinding;
import io.ephemeral.cvmfs.operator.dependents.MaintenanceServiceAccount;
import io.ephemeral.cvmfs.operator.dependents.MasterKeySecret;
import io.ephemeral.cvmfs.operator.dependents.NotificationRelayDeployment;
import io.ephemeral.cvmfs.operator.dependents.NotificationRelayDisruptionBudget;
import io.ephemeral.cvmfs.operator.dependents.NotificationRelayService;
import io.ephemeral.cvmfs.operator.dependents.PublishTokenSecret;
import io.ephemeral.cvmfs.operator.dependents.RepositoryKeysSecret;
import io.ephemeral.cvmfs.operator.dependents.RepositoryResources;
import io.ephemeral.cvmfs.operator.events.EventRecorder;
import io.ephemeral.cvmfs.operator.keys.RepositoryKeySet;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.javaoperatorsdk.operator.api.config.informer.InformerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceUtils;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependentResource;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependentResourceConfigBuilder;
import io.javaoperatorsdk.operator.processing.dependent.workflow.Workflow;
import io.javaoperatorsdk.operator.processing.dependent.workflow.WorkflowBuilder;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Turns a CvmfsRepository into its keys, token, data plane, Service, client configuration and
 * maintenance job through one workflow, then reports what it sees as conditions.
 */
@ControllerConfiguration(name = "cvmfsrepository")
public final class CvmfsRepositoryReconciler implements Reconciler<CvmfsRepository> {

  static final String READY = "Ready";
  static final String KEYS_READY = "KeysReady";
  static final String DATA_PLANE_READY = "DataPlaneReady";
  static final String WHITELIST_VALID = "WhitelistValid";
  /** Only with spec.clientConfigMap: whether that ConfigMap holds the client configuration. */
  static final String CLIENT_CONFIG_SYNCED = "ClientConfigMapSynced";

  private final OperatorConfig config;
  private final DataPlaneClient dataPlane;
  private final DataPlaneLocator locator;
  private final EventRecorder events;
  private final Clock clock;
  private final RepositoryKeysSecret keysSecret;
  private final DataPlaneDeployment deployment;
  private final ClientConfigMap clientConfig;
  private final Workflow<CvmfsRepository> workflow;

  public CvmfsRepositoryReconciler(OperatorConfig config, DataPlaneClient dataPlane, DataPlaneLocator locator,
      EventRecorder events, Clock clock) {
    this.config = config;
    this.dataPlane = dataPlane;
    this.locator = locator;
    this.events = events;
    this.clock = clock;
    MasterKeySecret masterKey = managed(new MasterKeySecret());
    this.keysSecret = managed(new RepositoryKeysSecret(clock, masterKey));
    this.deployment = managed(new DataPlaneDeployment(config));
    this.clientConfig = managed(new ClientConfigMap(keysSecret, config.clusterDomain()));
    this.workflow = workflow(config, masterKey, keysSecret, deployment, clientConfig);
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static Workflow<CvmfsRepository> workflow(OperatorConfig config, MasterKeySecret masterKey,
      RepositoryKeysSecret keys, DataPlaneDeployment deployment, ClientConfigMap clientConfig) {
    var token = managed(new PublishTokenSecret());
    var claim = managed(new DataVolumeClaim());
    var service = managed(new DataPlaneService());
    var relays = managed(new NotificationRelayDeployment(config));
    var relayService = managed(new NotificationRelayService());
    var relayBudget = managed(new NotificationRelayDisruptionBudget());
    var account = managed(new MaintenanceServiceAccount());
    var role = managed(new MaintenanceRole());
    var binding = managed(new MaintenanceRoleBinding());
    var cronJob = managed(new MaintenanceCronJob(config));
    return new WorkflowBuilder<CvmfsRepository>()
        .addDependentResource(masterKey)
        .addDependentResourceAndConfigure(keys).dependsOn(masterKey)
        .addDependentResource(token)
        .addDependentResourceAndConfigure(claim).withReconcilePrecondition(new DataVolumeClaim.Requested())
        .addDependentResourceAndConfigure(deployment).dependsOn(keys, token)
        .addDependentResource(service)
        .addDependentResource(relays)
        .addDependentResource(relayService)
        .addDependentResource(relayBudget)
        .addDependentResourceAndConfigure(clientConfig).dependsOn(keys)
        .addDependentResource(account)
        .addDependentResource(role)
        .addDependentResourceAndConfigure(binding).dependsOn(account, role)
        .addDependentResourceAndConfigure(cronJob).dependsOn(binding, masterKey, token)
        .build();
  }

  /** Watches only the objects this operator made. */
  private static <R extends HasMetadata, D extends KubernetesDependentResource<R,
      CvmfsRepository>> D managed(D dependent) {
    dependent.configureWith(new KubernetesDependentResourceConfigBuilder<R>()
        .withKubernetesDependentInformerConfig(InformerConfiguration.builder(dependent.resourceType())
            .withLabelSelector(RepositoryResources.MANAGED_SELECTOR)
            .build())
        .build());
    return dependent;
  }

  @Override
  public List<EventSource<?, CvmfsRepository>> prepareEventSources(EventSourceContext<CvmfsRepository> context) {
    return EventSourceUtils.eventSourcesFromWorkflow(context, workflow);
  }

  @Override
  public UpdateControl<CvmfsRepository> reconcile(CvmfsRepository repository, Context<CvmfsRepository> context) {
    Instant now = clock.instant();
    CvmfsRepositoryStatus previous = repository.getStatus();
    List<Condition> before = previous == null ? List.of() : previous.conditions();
    Optional<Secret> existingKeys = keysSecret.getSecondaryResource(repository, context);
    Optional<String> problem = RepositorySpecCheck.problem(repository, existingKeys);
    if (problem.isPresent()) {
      if (!Conditions.was(before, READY, false, "InvalidSpec")) {
        events.warning(repository, "InvalidSpec", problem.get());
      }
      Conditions conditions = new Conditions(before, repository.getMetadata().getGeneration(), now)
          .set(READY, false, "InvalidSpec", problem.get());
      return status(repository, new CvmfsRepositoryStatus(conditions.list(), repository.getMetadata().getGeneration(),
          repository.fqrn(), previous == null ? null : previous.revision(), null, null,
          previous == null ? null : previous.publicKeyFingerprint(), previous == null ? null : previous.whitelistExpiresAt()));
    }
    String hashBefore = podSpecHash(deployment.getSecondaryResource(repository, context));
    workflow.reconcile(repository, context).throwAggregateExceptionIfErrorsPresent();
    if (existingKeys.isEmpty()) {
      events.normal(repository, "KeysGenerated", "generated the master key, repository key, certificate and a whitelist"
          + " for " + repository.fqrn());
    }
    Optional<Deployment> dataPlaneDeployment = deployment.getSecondaryResource(repository, context);
    if (hashBefore != null && !Objects.equals(hashBefore, podSpecHash(dataPlaneDeployment))) {
      events.normal(repository, "SpecChanged", "rolling the data plane to the new spec");
    }
    Optional<ClientConfigTarget.Result> copy = Optional.ofNullable(repository.getSpec().clientConfigMap())
        .map(target -> ClientConfigTarget.sync(context.getClient(), repository, target,
            clientConfig.getSecondaryResource(repository, context).orElse(null)));
    copy.filter(r -> !r.synced() && !Conditions.was(before, CLIENT_CONFIG_SYNCED, false, r.reason()))
        .ifPresent(r -> events.warning(repository, "ClientConfigMap" + r.reason(), r.message()));
    return status(repository, observe(repository, context, dataPlaneDeployment, previous, now, copy));
  }

  private static String podSpecHash(Optional<Deployment> dataPlane) {
    return dataPlane.map(d -> d.getSpec().getTemplate().getMetadata().getAnnotations()
        .get(RepositoryResources.POD_SPEC_HASH_ANNOTATION)).orElse(null);
  }

  /** Says in the status why the last attempt failed; the framework retries with backoff. */
  @Override
  public ErrorStatusUpdateControl<CvmfsRepository> updateErrorStatus(CvmfsRepository repository,
      Context<CvmfsRepository> context, Exception e) {
    CvmfsRepositoryStatus previous = repository.getStatus();
    Conditions conditions = new Conditions(previous == null ? null : previous.conditions(),
        repository.getMetadata().getGeneration(), clock.instant())
        .set(READY, false, "ReconcileFailed", FailureSummary.of(e));
    CvmfsRepository update = new CvmfsRepository();
    update.setMetadata(repository.getMetadata());
    update.setSpec(repository.getSpec());
    update.setStatus(new CvmfsRepositoryStatus(conditions.list(), previous == null ? null : previous.observedGeneration(),
        repository.fqrn(), previous == null ? null : previous.revision(), previous == null ? null : previous.repositoryUrl(),
        previous == null ? null : previous.notificationUrl(), previous == null ? null : previous.publicKeyFingerprint(),
        previous == null ? null : previous.whitelistExpiresAt()));
    return ErrorStatusUpdateControl.patchStatus(update);
  }

  private CvmfsRepositoryStatus observe(CvmfsRepository repository, Context<CvmfsRepository> context,
      Optional<Deployment> deployment, CvmfsRepositoryStatus previous, Instant now,
      Optional<ClientConfigTarget.Result> copy) {
    String fqrn = repository.fqrn();
    Conditions conditions = new Conditions(previous == null ? null : previous.conditions(),
        repository.getMetadata().getGeneration(), now);
    HashAlgorithm algorithm = HashAlgorithm.fromConfigName(repository.getSpec().hashAlgorithm().flag());

    String fingerprint = null;
    String whitelistExpiresAt = null;
    Optional<Secret> secret = keysSecret.getSecondaryResource(repository, context);
    boolean keysReady = false;
    boolean whitelistValid = false;
    if (secret.isEmpty()) {
      conditions.set(KEYS_READY, false, "Missing", "the keys Secret " + RepositoryResources.keysSecret(repository)
          + " does not exist yet");
      conditions.set(WHITELIST_VALID, false, "Missing", "no whitelist yet");
    } else {
      try {
        RepositoryKeySet keys = RepositoryKeySet.fromSecret(fqrn, secret.get());
        fingerprint = keys.fingerprint(algorithm);
        keysReady = true;
        conditions.set(KEYS_READY, true, "Present", "repository key, certificate, master public key and whitelist in "
            + RepositoryResources.keysSecret(repository));
        try {
          Whitelist whitelist = keys.checkedWhitelist(now);
          whitelistExpiresAt = whitelist.clientExpiry().toString();
          whitelistValid = true;
          conditions.set(WHITELIST_VALID, true, "Valid", "signed by the master key, expires at " + whitelistExpiresAt);
        } catch (InvalidWhitelistException e) {
          conditions.set(WHITELIST_VALID, false, "Invalid", e.getMessage());
        }
      } catch (IOException | RuntimeException e) {
        conditions.set(KEYS_READY, false, "Unreadable", "the keys Secret cannot be read: " + e.getMessage());
        conditions.set(WHITELIST_VALID, false, "Unreadable", "the keys Secret cannot be read");
      }
    }

    Long revision = previous == null ? null : previous.revision();
    boolean dataPlaneReady = false;
    int available = deployment.map(d -> d.getStatus() == null || d.getStatus().getAvailableReplicas() == null ? 0
        : d.getStatus().getAvailableReplicas()).orElse(0);
    if (available < 1) {
      conditions.set(DATA_PLANE_READY, false, "Unavailable", "no data-plane pod of "
          + RepositoryResources.dataPlane(repository) + " is available yet");
    } else {
      try {
        revision = dataPlane.repository(locator.baseUrl(repository), fqrn).revision();
        dataPlaneReady = true;
        conditions.set(DATA_PLANE_READY, true, "Serving", "serving revision " + revision);
      } catch (DataPlaneException e) {
        conditions.set(DATA_PLANE_READY, false, "Unreachable", e.getMessage());
      }
    }

    copy.ifPresent(r -> conditions.set(CLIENT_CONFIG_SYNCED, r.synced(), r.reason(), r.message()));

    if (keysReady && whitelistValid && dataPlaneReady) {
      conditions.set(READY, true, "Serving", fqrn + " is served at revision " + revision);
    } else {
      String reason = !keysReady ? "KeysNotReady" : !whitelistValid ? "WhitelistInvalid" : "DataPlaneNotReady";
      conditions.set(READY, false, reason, "waiting for " + (!keysReady ? "the keys" : !whitelistValid
          ? "a valid whitelist" : "the data plane"));
    }
    return new CvmfsRepositoryStatus(conditions.list(), repository.getMetadata().getGeneration(), fqrn, revision,
        RepositoryResources.publicUrl(repository, config.clusterDomain()) + "/cvmfs/" + fqrn,
        RepositoryResources.notificationUrl(repository, config.clusterDomain()),
        fingerprint, whitelistExpiresAt);
  }

  private UpdateControl<CvmfsRepository> status(CvmfsRepository repository, CvmfsRepositoryStatus status) {
    CvmfsRepository update = new CvmfsRepository();
    update.setMetadata(repository.getMetadata());
    update.setSpec(repository.getSpec());
    update.setStatus(status);
    UpdateControl<CvmfsRepository> control = Objects.equals(status, repository.getStatus())
        ? UpdateControl.noUpdate() : UpdateControl.patchStatus(update);
    // Revision and whitelist change without any event on the objects this operator watches.
    return control.rescheduleAfter(config.statusInterval());
  }
}
