package io.ephemeral.cvmfs.operator.reconcilers;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ephemeral.cvmfs.dataplane.publish.Ttl;
import io.ephemeral.cvmfs.operator.OperatorConfig;
import io.ephemeral.cvmfs.operator.api.CvmfsPublication;
import io.ephemeral.cvmfs.operator.api.CvmfsPublicationSpec;
import io.ephemeral.cvmfs.operator.api.CvmfsPublicationStatus;
import io.ephemeral.cvmfs.operator.api.CvmfsPublicationStatus.Phase;
import io.ephemeral.cvmfs.operator.api.CvmfsRepository;
import io.ephemeral.cvmfs.operator.dataplane.DataPlaneClient;
import io.ephemeral.cvmfs.operator.dataplane.DataPlaneException;
import io.ephemeral.cvmfs.operator.dataplane.DataPlaneLocator;
import io.ephemeral.cvmfs.operator.dataplane.PublicationInfo;
import io.ephemeral.cvmfs.operator.dependents.RepositoryResources;
import io.ephemeral.cvmfs.operator.events.EventRecorder;
import io.ephemeral.cvmfs.operator.keys.SecretFiles;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.reconciler.Cleaner;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Publishes a CvmfsPublication's source through the data plane's API, follows it until it
 * expires, publishes a URL source again when the data plane lost it, and removes the path when
 * the object is deleted.
 */
@ControllerConfiguration(name = "cvmfspublication")
public final class CvmfsPublicationReconciler implements Reconciler<CvmfsPublication>, Cleaner<CvmfsPublication> {

  static final String PUBLISHED = "Published";

  private final KubernetesClient client;
  private final OperatorConfig config;
  private final DataPlaneClient dataPlane;
  private final DataPlaneLocator locator;
  private final EventRecorder events;
  private final Clock clock;

  public CvmfsPublicationReconciler(KubernetesClient client, OperatorConfig config, DataPlaneClient dataPlane,
      DataPlaneLocator locator, EventRecorder events, Clock clock) {
    this.client = client;
    this.config = config;
    this.dataPlane = dataPlane;
    this.locator = locator;
    this.events = events;
    this.clock = clock;
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
    CvmfsRepository repository = client.resources(CvmfsRepository.class)
        .inNamespace(publication.getMetadata().getNamespace()).withName(spec.repository()).get();
    if (repository == null) {
      return waiting(publication, "RepositoryNotFound", "no CvmfsRepository " + spec.repository() + " in namespace "
          + publication.getMetadata().getNamespace());
    }
    Duration maxTtl = Ttl.parse(repository.getSpec().publications().maxTtl());
    if (spec.ttl() != null && Ttl.parse(spec.ttl()).compareTo(maxTtl) > 0) {
      return fail(publication, "TtlTooLong", "ttl " + spec.ttl() + " is above the repository's maximum of "
          + repository.getSpec().publications().maxTtl());
    }
    Optional<String> token = token(repository);
    if (token.isEmpty()) {
      return waiting(publication, "RepositoryNotReady", "the token Secret of " + spec.repository() + " does not exist yet");
    }
    URI base = locator.baseUrl(repository);
    String fqrn = repository.fqrn();
    try {
      if (phase == Phase.Published || phase == Phase.Publishing) {
        return follow(publication, base, fqrn, token.get(), specChanged);
      }
      return publish(publication, base, fqrn, token.get(), spec.ttl(), false);
    } catch (DataPlaneException e) {
      if (e.isTransient()) {
        return waiting(publication, "DataPlaneUnavailable", e.getMessage());
      }
      return fail(publication, failureReason(e), e.getMessage());
    }
  }

  /** Checks a publication that should be served: expired, lost, or with a new TTL. */
  private UpdateControl<CvmfsPublication> follow(CvmfsPublication publication, URI base, String fqrn, String token,
      boolean specChanged) throws DataPlaneException {
    CvmfsPublicationStatus status = publication.getStatus();
    CvmfsPublicationSpec spec = publication.getSpec();
    Instant now = clock.instant();
    Instant expiresAt = status.expiresAt() == null ? null : Instant.parse(status.expiresAt());
    if (status.phase() == Phase.Published && expiresAt != null && !now.isBefore(expiresAt)) {
      events.normal(publication, "Expired", "/" + spec.path() + " expired at " + expiresAt);
      return update(publication, status(publication, Phase.Expired, status, "expired at " + expiresAt,
          PUBLISHED, false, "Expired"), null);
    }
    Optional<PublicationInfo> served = dataPlane.publication(base, fqrn, spec.path());
    if (served.isEmpty()) {
      if (status.phase() == Phase.Publishing) {
        return publish(publication, base, fqrn, token, spec.ttl(), false);
      }
      if (!spec.source().replayable()) {
        events.warning(publication, "ContentLost", "the data plane lost /" + spec.path()
            + " and a staged upload cannot be published again");
        return fail(publication, "ContentLost", "the data plane lost /" + spec.path()
            + "; its source was a staged upload, which cannot be published again");
      }
      // Publish again for what is left of the original lifetime, not a new one.
      long remaining = Math.max(1, Duration.between(now, expiresAt).toSeconds());
      events.normal(publication, "Republishing", "the data plane lost /" + spec.path() + "; publishing "
          + spec.source().url() + " again for " + remaining + "s");
      return publish(publication, base, fqrn, token, Long.toString(remaining), true);
    }
    PublicationInfo info = served.get();
    if (specChanged && spec.ttl() != null) {
      info = dataPlane.setTtl(base, fqrn, spec.path(), token, spec.ttl());
      events.normal(publication, "TtlChanged", "/" + spec.path() + " now expires at " + info.expiresAt());
    }
    return published(publication, info);
  }

  private UpdateControl<CvmfsPublication> publish(CvmfsPublication publication, URI base, String fqrn, String token,
      String ttl, boolean overwrite) throws DataPlaneException {
    CvmfsPublicationSpec spec = publication.getSpec();
    CvmfsPublicationStatus previous = publication.getStatus();
    if (previous == null || previous.phase() != Phase.Publishing) {
      // Shown while the data plane works, which for a large URL source takes a while.
      CvmfsPublication marked = copy(publication, status(publication, Phase.Publishing, previous,
          "publishing to " + fqrn, PUBLISHED, false, "Publishing"));
      publication = client.resource(marked).patchStatus();
    }
    ObjectNode body = DataPlaneClient.publishBody();
    if (spec.source().url() != null) {
      body.put("url", spec.source().url());
      if (spec.source().sha256() != null) {
        body.put("sha256", spec.source().sha256());
      }
    } else {
      body.put("upload", spec.source().upload());
    }
    if (ttl != null) {
      body.put("ttl", ttl);
    }
    if (spec.format() != null) {
      body.put("format", spec.format());
    }
    body.put("overwrite", overwrite || spec.overwrite());
    PublicationInfo info = dataPlane.publish(base, fqrn, spec.path(), token, body);
    events.normal(publication, "Published", "/" + spec.path() + " in revision " + info.revision() + ": " + info.files()
        + " files, " + info.bytes() + " bytes, until " + info.expiresAt());
    return published(publication, info);
  }

  private UpdateControl<CvmfsPublication> published(CvmfsPublication publication, PublicationInfo info) {
    CvmfsPublicationStatus previous = publication.getStatus();
    Instant now = clock.instant();
    String publishedAt = previous != null && previous.publishedAt() != null
        && Objects.equals(previous.revision(), info.revision()) ? previous.publishedAt() : now.toString();
    CvmfsPublicationStatus status = new CvmfsPublicationStatus(Phase.Published, info.revision(), publishedAt,
        info.expiresAt().toString(), info.files(), info.bytes(), "published in revision " + info.revision(),
        new Conditions(previous == null ? null : previous.conditions(), publication.getMetadata().getGeneration(), now)
            .set(PUBLISHED, true, "Published", "served in revision " + info.revision()).list(),
        publication.getMetadata().getGeneration());
    Duration untilExpiry = Duration.between(now, info.expiresAt());
    Duration next = untilExpiry.compareTo(config.publicationCheckInterval()) < 0
        ? untilExpiry.plusMillis(100) : config.publicationCheckInterval();
    return update(publication, status, next);
  }

  private UpdateControl<CvmfsPublication> waiting(CvmfsPublication publication, String reason, String message) {
    if (!Conditions.was(conditionsOf(publication), PUBLISHED, false, reason)) {
      events.warning(publication, reason, message);
    }
    CvmfsPublicationStatus previous = publication.getStatus();
    Phase phase = previous != null && previous.phase() == Phase.Published ? Phase.Published : Phase.Pending;
    return update(publication, status(publication, phase, previous, message, PUBLISHED, phase == Phase.Published, reason),
        config.retryInterval());
  }

  private UpdateControl<CvmfsPublication> fail(CvmfsPublication publication, String reason, String message) {
    if (!Conditions.was(conditionsOf(publication), PUBLISHED, false, reason)) {
      events.warning(publication, reason, message);
    }
    return update(publication, status(publication, Phase.Failed, publication.getStatus(), message, PUBLISHED, false,
        reason), null);
  }

  private CvmfsPublicationStatus status(CvmfsPublication publication, Phase phase, CvmfsPublicationStatus previous,
      String message, String conditionType, boolean conditionStatus, String reason) {
    List<Condition> conditions = new Conditions(conditionsOf(publication),
        publication.getMetadata().getGeneration(), clock.instant())
        .set(conditionType, conditionStatus, reason, message).list();
    return previous == null
        ? new CvmfsPublicationStatus(phase, null, null, null, null, null, message, conditions,
            publication.getMetadata().getGeneration())
        : new CvmfsPublicationStatus(phase, previous.revision(), previous.publishedAt(), previous.expiresAt(),
            previous.files(), previous.bytes(), message, conditions, publication.getMetadata().getGeneration());
  }

  private static List<Condition> conditionsOf(CvmfsPublication publication) {
    return publication.getStatus() == null ? List.of() : publication.getStatus().conditions();
  }

  private UpdateControl<CvmfsPublication> update(CvmfsPublication publication, CvmfsPublicationStatus status,
      Duration reschedule) {
    UpdateControl<CvmfsPublication> control = Objects.equals(status, publication.getStatus())
        ? UpdateControl.noUpdate() : UpdateControl.patchStatus(copy(publication, status));
    return reschedule == null ? control : control.rescheduleAfter(reschedule);
  }

  private static CvmfsPublication copy(CvmfsPublication publication, CvmfsPublicationStatus status) {
    CvmfsPublication copy = new CvmfsPublication();
    copy.setMetadata(publication.getMetadata());
    copy.setSpec(publication.getSpec());
    copy.setStatus(status);
    return copy;
  }

  private static String failureReason(DataPlaneException e) {
    return switch (e.status()) {
      case 400 -> "InvalidSource";
      case 404 -> "NotFound";
      case 409 -> "Conflict";
      case 413 -> "TooLarge";
      case 422 -> "SourceUnavailable";
      case 507 -> "NoSpace";
      default -> "Rejected";
    };
  }

  private Optional<String> token(CvmfsRepository repository) {
    Secret secret = client.secrets().inNamespace(repository.getMetadata().getNamespace())
        .withName(RepositoryResources.tokenSecret(repository)).get();
    return secret == null ? Optional.empty()
        : SecretFiles.readString(secret, RepositoryResources.TOKEN_KEY).map(String::strip);
  }

  /** Removes the path, unless it was never published or is gone with its repository. */
  @Override
  public DeleteControl cleanup(CvmfsPublication publication, Context<CvmfsPublication> context) {
    CvmfsPublicationStatus status = publication.getStatus();
    if (status == null || (status.phase() != Phase.Published && status.phase() != Phase.Publishing)) {
      return DeleteControl.defaultDelete();
    }
    CvmfsRepository repository = client.resources(CvmfsRepository.class)
        .inNamespace(publication.getMetadata().getNamespace()).withName(publication.getSpec().repository()).get();
    Optional<String> token = repository == null ? Optional.empty() : token(repository);
    if (repository == null || repository.isMarkedForDeletion() || token.isEmpty()) {
      return DeleteControl.defaultDelete();
    }
    try {
      String path = publication.getSpec().path();
      if (dataPlane.delete(locator.baseUrl(repository), repository.fqrn(), path, token.get())) {
        events.normal(publication, "Removed", "/" + path + " removed from " + repository.fqrn());
      }
      return DeleteControl.defaultDelete();
    } catch (DataPlaneException e) {
      if (e.isTransient()) {
        events.warning(publication, "DataPlaneUnavailable", "cannot remove the path yet: " + e.getMessage());
        return DeleteControl.noFinalizerRemoval().rescheduleAfter(config.retryInterval());
      }
      events.warning(publication, "RemoveFailed", e.getMessage());
      return DeleteControl.defaultDelete();
    }
  }
}
