package io.ephemeral.cvmfs.operator.reconcilers;

import io.ephemeral.cvmfs.operator.OperatorConfig;
import io.ephemeral.cvmfs.operator.api.Condition;
import io.ephemeral.cvmfs.operator.api.CvmfsRepository;
import io.ephemeral.cvmfs.operator.api.CvmfsRepositoryStatus;
import io.ephemeral.cvmfs.operator.dataplane.DataPlaneClient;
import io.ephemeral.cvmfs.operator.dataplane.DataPlaneLocator;
import io.ephemeral.cvmfs.operator.dataplane.RepositoryInfo;
import io.ephemeral.cvmfs.operator.dependents.ClientConfigMap;
import io.ephemeral.cvmfs.operator.dependents.DataPlaneDeployment;
import io.ephemeral.cvmfs.operator.dependents.DataPlaneDisruptionBudget;
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
  private final RepositoryObserver observer;
  private final StatusRecorder<CvmfsRepository, CvmfsRepositoryStatus> status =
      new StatusRecorder<>(CvmfsRepository::new, StatusRecorder.Concurrency.OPTIMISTIC);
  private final EventRecorder events;
  private final Clock clock;
  private final RepositoryKeysSecret keysSecret;
  private final DataPlaneDeployment deployment;
  private final ClientConfigMap clientConfig;
  private final Workflow<CvmfsRepository> workflow;

  public CvmfsRepositoryReconciler(OperatorConfig config, DataPlaneClient dataPlane, DataPlaneLocator locator,
      EventRecorder events, Clock clock) {
    this.config = config;
    this.observer = new RepositoryObserver(r -> dataPlane.repository(locator.baseUrl(r), r.fqrn()));
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
    var budget = managed(new DataPlaneDisruptionBudget());
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
        .addDependentResourceAndConfigure(budget).withReconcilePrecondition(new DataPlaneDisruptionBudget.Replicated())
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
      // What was observed before stays; the URLs are not reported for a spec that is not served.
      return refreshed(status.update(repository, CvmfsRepositoryStatus.carriedOver(previous)
          .conditions(conditions.list())
          .observedGeneration(repository.getMetadata().getGeneration())
          .fqrn(repository.fqrn())
          .repositoryUrl(null)
          .notificationUrl(null)
          .build()));
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
    RepositoryObservation observation = observer.observe(repository,
        keysSecret.getSecondaryResource(repository, context), dataPlaneDeployment, now);
    return refreshed(status.update(repository, status(repository, observation, copy, now)));
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
    return status.updateOnError(repository, CvmfsRepositoryStatus.carriedOver(previous)
        .conditions(conditions.list())
        .fqrn(repository.fqrn())
        .build());
  }

  /** The status an observation makes: a condition per aspect, then Ready from all of them. */
  private CvmfsRepositoryStatus status(CvmfsRepository repository, RepositoryObservation observation,
      Optional<ClientConfigTarget.Result> copy, Instant now) {
    CvmfsRepositoryStatus previous = repository.getStatus();
    String fqrn = repository.fqrn();
    RepositoryInfo served = observation.served();
    // The data plane may be down for a while: the last revision it served is still the latest.
    Long revision = served != null ? Long.valueOf(served.revision()) : previous == null ? null : previous.revision();
    Conditions conditions = new Conditions(previous == null ? null : previous.conditions(),
        repository.getMetadata().getGeneration(), now);
    set(conditions, KEYS_READY, observation.keys());
    set(conditions, WHITELIST_VALID, observation.whitelist());
    set(conditions, DATA_PLANE_READY, observation.dataPlane());
    copy.ifPresent(r -> conditions.set(CLIENT_CONFIG_SYNCED, r.synced(), r.reason(), r.message()));
    set(conditions, READY, observation.readiness(fqrn, revision));
    CvmfsRepositoryStatus.Builder next = CvmfsRepositoryStatus.carriedOver(previous);
    if (served != null) {
      // Like the revision, storage and writer stay as last seen while the data plane does not answer.
      next.storage(served.storage()).writer(served.writer());
    }
    return next
        .conditions(conditions.list())
        .observedGeneration(repository.getMetadata().getGeneration())
        .fqrn(fqrn)
        .revision(revision)
        .repositoryUrl(RepositoryResources.repositoryUrl(repository, config.clusterDomain()))
        .notificationUrl(RepositoryResources.notificationUrl(repository, config.clusterDomain()))
        .publicKeyFingerprint(observation.publicKeyFingerprint())
        .whitelistExpiresAt(observation.whitelistExpiresAt())
        .build();
  }

  private static void set(Conditions conditions, String type, RepositoryObservation.Finding finding) {
    conditions.set(type, finding.ok(), finding.reason(), finding.message());
  }

  /** Revision and whitelist change without any event on the objects this operator watches. */
  private UpdateControl<CvmfsRepository> refreshed(UpdateControl<CvmfsRepository> control) {
    return control.rescheduleAfter(config.statusInterval());
  }
}
