package io.ephemeral.cvmfs.operator.reconcilers;

import io.ephemeral.cvmfs.common.publish.ImageReference;
import io.ephemeral.cvmfs.common.publish.Ttl;
import io.ephemeral.cvmfs.operator.OperatorConfig;
import io.ephemeral.cvmfs.operator.api.Condition;
import io.ephemeral.cvmfs.operator.api.CvmfsPublication;
import io.ephemeral.cvmfs.operator.api.CvmfsPublicationSpec;
import io.ephemeral.cvmfs.operator.api.CvmfsPublicationStatus.Phase;
import io.ephemeral.cvmfs.operator.api.CvmfsPublicationStatus;
import io.ephemeral.cvmfs.operator.api.CvmfsRepository;
import io.ephemeral.cvmfs.operator.api.PublicationSource;
import io.ephemeral.cvmfs.operator.dataplane.DataPlaneClient;
import io.ephemeral.cvmfs.operator.dataplane.DataPlaneException;
import io.ephemeral.cvmfs.operator.dataplane.DataPlaneLocator;
import io.ephemeral.cvmfs.operator.dataplane.PublicationInfo;
import io.ephemeral.cvmfs.operator.dataplane.PublishOperation;
import io.ephemeral.cvmfs.operator.dataplane.PublishRequest.RegistryCredentials;
import io.ephemeral.cvmfs.operator.dataplane.PublishRequest;
import io.ephemeral.cvmfs.operator.dependents.RepositoryResources;
import io.ephemeral.cvmfs.operator.events.EventRecorder;
import io.ephemeral.cvmfs.operator.keys.SecretFiles;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.api.reconciler.Cleaner;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Publishes a CvmfsPublication's source through the data plane's API, follows it until it
 * expires, publishes a URL source again when the data plane lost it, and removes the path when
 * the object is deleted.
 *
 * <p>While the data plane does not answer (no connection, a timeout, a 5xx) or a URL source
 * fails in a way that may pass (a 5xx, 408 or 429 from its server, a timeout), the publication
 * waits: its phase and its {@code Published} condition stay as they are, with the reason, so
 * that nothing is written while nothing changes, one Warning event marks the start of the wait,
 * and the next attempt comes after {@code retryInterval}, doubling with each failed attempt up to
 * {@link PublicationPacing#MAX_BACKOFF}. Status is only ever patched without a resourceVersion, so it does not
 * conflict with the framework's own writes.
 *
 * <p>A publish does not hold a reconciler thread while the data plane works: it is started as an
 * operation ({@code Prefer: respond-async}), whose id the status records, and looked at on later
 * passes, soon at first and then less often, up to {@link PublicationPacing#MAX_POLL}. A data plane that restarted
 * has forgotten its operations; then the path says whether the publish committed, and if not it is
 * started again.
 *
 * <p>The repository and its token Secret are read from informers (see
 * {@link PublicationEventSources}): a publication waiting for them is reconciled again when they
 * appear or the repository turns Ready, and otherwise only after {@link #KUBERNETES_WAIT_FALLBACK}.
 */
@ControllerConfiguration(name = "cvmfspublication")
public final class CvmfsPublicationReconciler implements Reconciler<CvmfsPublication>, Cleaner<CvmfsPublication> {

  static final String PUBLISHED = "Published";
  static final String DATA_PLANE_UNAVAILABLE = "DataPlaneUnavailable";
  static final String REPOSITORY_NOT_FOUND = "RepositoryNotFound";
  static final String REPOSITORY_NOT_READY = "RepositoryNotReady";
  static final String SOURCE_UNAVAILABLE = "SourceUnavailable";
  /** The condition of a publication whose spec asks for a tag. */
  static final String TAGGED = "Tagged";
  static final String TAG_TAKEN = "TagTaken";

  /** Reasons of the {@code Published} condition while a publication waits for something that may come. */
  static final Set<String> WAIT_REASONS =
      Set.of(REPOSITORY_NOT_FOUND, REPOSITORY_NOT_READY, DATA_PLANE_UNAVAILABLE, SOURCE_UNAVAILABLE);
  /**
   * The next look at a publication waiting for its repository or token when no event came: the
   * informers bring those, so this only bounds the wait should an event ever be missed.
   */
  static final Duration KUBERNETES_WAIT_FALLBACK = Duration.ofMinutes(10);

  private final OperatorConfig config;
  private final DataPlaneClient dataPlane;
  private final DataPlaneLocator locator;
  private final EventRecorder events;
  private final Clock clock;
  private final StatusRecorder<CvmfsPublication, CvmfsPublicationStatus> statuses =
      new StatusRecorder<>(CvmfsPublication::new, StatusRecorder.Concurrency.LAST_WRITE_WINS);
  private final PublicationPacing pacing;
  private final PublicationRemoval removal;

  public CvmfsPublicationReconciler(OperatorConfig config, DataPlaneClient dataPlane, DataPlaneLocator locator,
      EventRecorder events, Clock clock) {
    this.config = config;
    this.dataPlane = dataPlane;
    this.locator = locator;
    this.events = events;
    this.clock = clock;
    this.pacing = new PublicationPacing(config.retryInterval());
    this.removal = new PublicationRemoval(dataPlane, locator, events, clock, statuses, pacing);
  }

  @Override
  public List<EventSource<?, CvmfsPublication>> prepareEventSources(EventSourceContext<CvmfsPublication> context) {
    return PublicationEventSources.create(context);
  }

  @Override
  public UpdateControl<CvmfsPublication> reconcile(CvmfsPublication publication, Context<CvmfsPublication> context) {
    CvmfsPublicationStatus status = publication.getStatus();
    Phase phase = status == null ? null : status.phase();
    boolean specChanged = status == null || !Objects.equals(status.observedGeneration(),
        publication.getMetadata().getGeneration());
    if ((phase == Phase.Expired || phase == Phase.Failed) && !specChanged) {
      return UpdateControl.noUpdate();
    }
    Optional<String> problem = PublicationSpecCheck.problem(publication.getSpec());
    if (problem.isPresent()) {
      return fail(publication, "InvalidSpec", problem.get());
    }
    CvmfsPublicationSpec spec = publication.getSpec();
    CvmfsRepository repository = repository(context).orElse(null);
    if (repository == null) {
      return waitingForKubernetes(publication, REPOSITORY_NOT_FOUND, "no CvmfsRepository " + spec.repository()
          + " in namespace " + publication.getMetadata().getNamespace());
    }
    Duration maxTtl = Ttl.parse(repository.getSpec().publications().maxTtl());
    if (spec.ttl() != null && Ttl.parse(spec.ttl()).compareTo(maxTtl) > 0) {
      return fail(publication, "TtlTooLong", "ttl " + spec.ttl() + " is above the repository's maximum of "
          + repository.getSpec().publications().maxTtl());
    }
    Optional<String> token = token(context);
    if (token.isEmpty()) {
      return waitingForKubernetes(publication, REPOSITORY_NOT_READY, "the token Secret of " + spec.repository()
          + " does not exist yet");
    }
    Target target = new Target(locator.baseUrl(repository), repository.fqrn(), token.get());
    try {
      if (phase == Phase.Published || phase == Phase.Publishing) {
        return follow(publication, context, target, specChanged);
      }
      return publish(publication, context, target, spec.ttl(), false);
    } catch (DataPlaneException e) {
      return failure(publication, e);
    }
  }

  /** Where the repository's data plane answers, and the token to write with. */
  private record Target(URI base, String fqrn, String token) {}

  /** Waits on a failure that may pass, fails on one that will not. */
  private UpdateControl<CvmfsPublication> failure(CvmfsPublication publication, DataPlaneException e) {
    if (e.isTransient()) {
      return waiting(publication, DATA_PLANE_UNAVAILABLE, "waiting for the data plane: " + e.getMessage());
    }
    if (e.isTransientSourceFailure()) {
      return waiting(publication, SOURCE_UNAVAILABLE, "waiting for the source: " + e.getMessage());
    }
    return fail(publication, failureReason(e), e.getMessage());
  }

  /** Checks a publication that should be served: expired, lost, or with a new TTL. */
  private UpdateControl<CvmfsPublication> follow(CvmfsPublication publication, Context<CvmfsPublication> context,
      Target target, boolean specChanged) throws DataPlaneException {
    URI base = target.base();
    String fqrn = target.fqrn();
    String token = target.token();
    CvmfsPublicationStatus status = publication.getStatus();
    CvmfsPublicationSpec spec = publication.getSpec();
    Instant now = clock.instant();
    Instant expiresAt = status.expiresAt() == null ? null : Instant.parse(status.expiresAt());
    if (status.phase() == Phase.Published && expiresAt != null && !now.isBefore(expiresAt)) {
      events.normal(publication, "Expired", "/" + spec.path() + " expired at " + expiresAt);
      return update(publication, status(publication, Phase.Expired, "expired at " + expiresAt,
          PUBLISHED, false, "Expired"), null);
    }
    if (status.phase() == Phase.Publishing && status.operation() != null) {
      Optional<PublishOperation> operation = dataPlane.operation(base, fqrn, token, status.operation());
      if (operation.isPresent()) {
        return settle(publication, target, operation.get());
      }
      // The data plane restarted and forgot the operation: the path tells whether it committed.
    }
    Optional<PublicationInfo> served = dataPlane.publication(base, fqrn, spec.path());
    if (served.isEmpty()) {
      if (status.phase() == Phase.Publishing) {
        // An earlier attempt did not finish: a first publication, or publishing lost content again.
        if (status.revision() != null && expiresAt != null) {
          long remaining = Math.max(1, Duration.between(now, expiresAt).toSeconds());
          return publish(publication, context, target, Long.toString(remaining), true);
        }
        return publish(publication, context, target, spec.ttl(), false);
      }
      if (!spec.source().replayable()) {
        return fail(publication, "ContentLost", "the data plane lost /" + spec.path()
            + "; its source was a staged upload, which cannot be published again");
      }
      // Publish again for what is left of the original lifetime, not a new one.
      long remaining = Math.max(1, Duration.between(now, expiresAt).toSeconds());
      events.normal(publication, "Republishing", "the data plane lost /" + spec.path() + "; publishing "
          + spec.source().remote() + " again for " + remaining + "s");
      return publish(publication, context, target, Long.toString(remaining), true);
    }
    PublicationInfo info = served.get();
    if (specChanged && spec.ttl() != null) {
      info = dataPlane.setTtl(base, fqrn, spec.path(), token, spec.ttl());
      events.normal(publication, "TtlChanged", "/" + spec.path() + " now expires at " + info.expiresAt());
    }
    return published(publication, target, info);
  }

  private UpdateControl<CvmfsPublication> publish(CvmfsPublication publication, Context<CvmfsPublication> context,
      Target target, String ttl, boolean overwrite) throws DataPlaneException {
    CvmfsPublicationSpec spec = publication.getSpec();
    PublicationSource source = spec.source();
    RegistryCredentials credentials = null;
    if (source.image() != null && source.pullSecret() != null) {
      String namespace = publication.getMetadata().getNamespace();
      Secret secret;
      try {
        secret = context.getClient().secrets().inNamespace(namespace).withName(source.pullSecret()).get();
      } catch (KubernetesClientException e) {
        return waiting(publication, SOURCE_UNAVAILABLE, "cannot read the pull Secret " + source.pullSecret() + ": "
            + e.getMessage());
      }
      if (secret == null) {
        return waiting(publication, SOURCE_UNAVAILABLE, "the pull Secret " + source.pullSecret()
            + " does not exist in namespace " + namespace);
      }
      try {
        credentials = PullSecrets.credentials(secret, ImageReference.parse(source.image())).orElse(null);
      } catch (IllegalArgumentException e) {
        return fail(publication, "InvalidPullSecret", e.getMessage());
      }
    }
    CvmfsPublicationStatus previous = publication.getStatus();
    if (previous == null || previous.phase() != Phase.Publishing) {
      // Only a data plane that answers gets a publication under way: until then it stays as it is.
      dataPlane.publication(target.base(), target.fqrn(), spec.path());
      // Shown while the data plane works, which for a large URL source takes a while. From here
      // on a publication may be in flight, so the phase stays Publishing until it is settled.
      publication = statuses.writeNow(context.getClient(), publication, status(publication, Phase.Publishing,
          "publishing to " + target.fqrn(), PUBLISHED, false, "Publishing"));
    }
    PublishRequest request = new PublishRequest(source.url(), source.sha256(), source.upload(), ttl, spec.format(),
        overwrite || spec.overwrite(), source.image(), source.platform(), credentials);
    PublishOperation operation;
    try {
      operation = dataPlane.startPublish(target.base(), target.fqrn(), spec.path(), target.token(), request);
    } catch (DataPlaneException e) {
      return failure(publication, e);
    }
    return settle(publication, target, operation);
  }

  /**
   * What a publish operation comes to: published, failed (or waiting, if the failure may pass),
   * or, while it runs, its id in the status and another look soon.
   */
  private UpdateControl<CvmfsPublication> settle(CvmfsPublication publication, Target target,
      PublishOperation operation) {
    CvmfsPublicationSpec spec = publication.getSpec();
    switch (operation.state()) {
      case SUCCEEDED -> {
        pacing.publishEnded(publication);
        PublicationInfo info = operation.result();
        events.normal(publication, "Published", "/" + spec.path() + " in revision " + info.revision() + ": "
            + info.files() + " files, " + info.bytes() + " bytes, until " + info.expiresAt());
        return published(publication, target, info);
      }
      case FAILED -> {
        pacing.publishEnded(publication);
        return failure(publication, operation.failure());
      }
      default -> {
        Duration next = pacing.whileRunning(publication);
        if (operation.id().equals(publication.getStatus().operation())) {
          return UpdateControl.<CvmfsPublication>noUpdate().rescheduleAfter(next);
        }
        CvmfsPublicationStatus running = CvmfsPublicationStatus.carriedOver(publication.getStatus())
            .operation(operation.id())
            .message("publishing, operation " + operation.id())
            .build();
        return statuses.update(publication, running).rescheduleAfter(next);
      }
    }
  }

  private UpdateControl<CvmfsPublication> published(CvmfsPublication publication, Target target,
      PublicationInfo info) {
    CvmfsPublicationStatus previous = publication.getStatus();
    Instant now = clock.instant();
    Conditions conditions = new Conditions(previous == null ? null : previous.conditions(),
        publication.getMetadata().getGeneration(), now)
        .set(PUBLISHED, true, "Published", "served in revision " + info.revision());
    tag(publication, target, conditions);
    String publishedAt = previous != null && previous.publishedAt() != null
        && Objects.equals(previous.revision(), info.revision()) ? previous.publishedAt() : now.toString();
    CvmfsPublicationStatus status = CvmfsPublicationStatus.carriedOver(previous)
        .phase(Phase.Published)
        .revision(info.revision())
        .publishedAt(publishedAt)
        .expiresAt(info.expiresAt().toString())
        .files(info.files())
        .bytes(info.bytes())
        .message("published in revision " + info.revision())
        .operation(null)
        .conditions(conditions.list())
        .observedGeneration(publication.getMetadata().getGeneration())
        .build();
    Duration untilExpiry = Duration.between(now, info.expiresAt());
    Duration next = untilExpiry.compareTo(config.publicationCheckInterval()) < 0
        ? untilExpiry.plusMillis(100) : config.publicationCheckInterval();
    return update(publication, status, next);
  }

  /**
   * Names the head revision with the tag the spec asks for, once: the {@code Tagged} condition
   * says it was, or that the name was taken (a Warning, not retried), or why it could not be yet
   * (tried again on the next pass).
   */
  private void tag(CvmfsPublication publication, Target target, Conditions conditions) {
    String tag = publication.getSpec().tag();
    String quoted = "'" + tag + "'";
    if (tag == null || conditionsOf(publication).stream().anyMatch(c -> c.type().equals(TAGGED)
        && (c.status() == Condition.Status.True || TAG_TAKEN.equals(c.reason())) && c.message().contains(quoted))) {
      return;
    }
    try {
      long revision = dataPlane.tag(target.base(), target.fqrn(), target.token(), tag, "CvmfsPublication "
          + publication.getMetadata().getNamespace() + "/" + publication.getMetadata().getName());
      events.normal(publication, TAGGED, "revision " + revision + " tagged " + quoted);
      conditions.set(TAGGED, true, TAGGED, "revision " + revision + " tagged " + quoted);
    } catch (DataPlaneException e) {
      if (e.status() == 409) {
        events.warning(publication, TAG_TAKEN, "tag " + quoted + " is taken: " + e.getMessage());
        conditions.set(TAGGED, false, TAG_TAKEN, "tag " + quoted + " is taken: " + e.getMessage());
      } else {
        conditions.set(TAGGED, false, "TagFailed", "tag " + quoted + " not set yet: " + e.getMessage());
      }
    }
  }

  /**
   * Keeps the phase (Published and Publishing stay, anything else becomes Pending) and says why
   * in the condition; one event when the wait starts, none while it goes on.
   */
  private UpdateControl<CvmfsPublication> waiting(CvmfsPublication publication, String reason, String message) {
    return waitStatus(publication, reason, message).rescheduleAfter(pacing.afterFailure(publication));
  }

  /**
   * As {@link #waiting}, for the repository or its token, whose informers reconcile the
   * publication again when they change: no backoff, only a long fallback.
   */
  private UpdateControl<CvmfsPublication> waitingForKubernetes(CvmfsPublication publication, String reason,
      String message) {
    return waitStatus(publication, reason, message).rescheduleAfter(KUBERNETES_WAIT_FALLBACK);
  }

  private UpdateControl<CvmfsPublication> waitStatus(CvmfsPublication publication, String reason, String message) {
    if (waitBegins(conditionsOf(publication))) {
      events.warning(publication, reason, message);
    }
    CvmfsPublicationStatus previous = publication.getStatus();
    Phase phase = previous != null && (previous.phase() == Phase.Published || previous.phase() == Phase.Publishing)
        ? previous.phase() : Phase.Pending;
    return statuses.update(publication, status(publication, phase, message, PUBLISHED, phase == Phase.Published,
        reason));
  }

  private UpdateControl<CvmfsPublication> fail(CvmfsPublication publication, String reason, String message) {
    if (!hasReason(publication, PUBLISHED, reason)) {
      events.warning(publication, reason, message);
    }
    return update(publication, status(publication, Phase.Failed, message, PUBLISHED, false, reason), null);
  }

  /** The last status with a new phase, message and condition; what was published stays. */
  private CvmfsPublicationStatus status(CvmfsPublication publication, Phase phase, String message,
      String conditionType, boolean conditionStatus, String reason) {
    return CvmfsPublicationStatus.carriedOver(publication.getStatus())
        .phase(phase)
        .message(message)
        .operation(null)
        .conditions(new Conditions(conditionsOf(publication), publication.getMetadata().getGeneration(),
            clock.instant()).set(conditionType, conditionStatus, reason, message).list())
        .observedGeneration(publication.getMetadata().getGeneration())
        .build();
  }

  static List<Condition> conditionsOf(CvmfsPublication publication) {
    return publication.getStatus() == null ? List.of() : publication.getStatus().conditions();
  }

  /**
   * Whether a wait starts now rather than going on: one Warning event for the whole wait, even as
   * its reason moves on (a repository created with its publications: first its token Secret, then
   * its data plane); the condition always says the current reason.
   */
  static boolean waitBegins(List<Condition> conditions) {
    return conditions.stream().noneMatch(c -> c.type().equals(PUBLISHED) && WAIT_REASONS.contains(c.reason()));
  }

  /** Whether the condition of this type already has this reason, whatever its status. */
  static boolean hasReason(CvmfsPublication publication, String type, String reason) {
    return conditionsOf(publication).stream()
        .anyMatch(c -> c.type().equals(type) && Objects.equals(c.reason(), reason));
  }

  /** A settled outcome: the failures in a row start over. */
  private UpdateControl<CvmfsPublication> update(CvmfsPublication publication, CvmfsPublicationStatus status,
      Duration reschedule) {
    pacing.settled(publication);
    UpdateControl<CvmfsPublication> control = statuses.update(publication, status);
    return reschedule == null ? control : control.rescheduleAfter(reschedule);
  }

  private static String failureReason(DataPlaneException e) {
    return switch (e.status()) {
      case 400 -> "InvalidSource";
      case 404 -> "NotFound";
      case 409 -> "Conflict";
      case 413 -> "TooLarge";
      case 422 -> SOURCE_UNAVAILABLE;
      case 507 -> "NoSpace";
      default -> "Rejected";
    };
  }

  /** The repository the publication names, from the informer's cache. */
  private static Optional<CvmfsRepository> repository(Context<CvmfsPublication> context) {
    return context.getSecondaryResource(CvmfsRepository.class, PublicationEventSources.REPOSITORIES);
  }

  /** The publish token of that repository, from the informer's cache. */
  private static Optional<String> token(Context<CvmfsPublication> context) {
    return context.getSecondaryResource(Secret.class, PublicationEventSources.TOKENS)
        .flatMap(secret -> SecretFiles.readString(secret, RepositoryResources.TOKEN_KEY)).map(String::strip);
  }

  /** Removes the path, through {@link PublicationRemoval}, with the repository and token from the caches. */
  @Override
  public DeleteControl cleanup(CvmfsPublication publication, Context<CvmfsPublication> context) {
    CvmfsRepository repository = repository(context).orElse(null);
    return removal.remove(publication, repository, repository == null ? Optional.empty() : token(context),
        context.getClient());
  }
}
