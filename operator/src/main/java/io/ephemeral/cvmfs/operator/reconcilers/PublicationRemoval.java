package io.ephemeral.cvmfs.operator.reconcilers;

import io.ephemeral.cvmfs.operator.api.Condition;
import io.ephemeral.cvmfs.operator.api.CvmfsPublication;
import io.ephemeral.cvmfs.operator.api.CvmfsPublicationStatus.Phase;
import io.ephemeral.cvmfs.operator.api.CvmfsPublicationStatus;
import io.ephemeral.cvmfs.operator.api.CvmfsRepository;
import io.ephemeral.cvmfs.operator.dataplane.DataPlaneClient;
import io.ephemeral.cvmfs.operator.dataplane.DataPlaneException;
import io.ephemeral.cvmfs.operator.dataplane.DataPlaneLocator;
import io.ephemeral.cvmfs.operator.dataplane.PublishOperation;
import io.ephemeral.cvmfs.operator.events.EventRecorder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What deleting a CvmfsPublication does to its path: removed from the data plane before the
 * finalizer goes, after a publish still running has ended, and waited for (with a condition that
 * says why) while the data plane does not answer.
 */
final class PublicationRemoval {

  /** The condition a deleted publication carries while its path cannot be removed yet. */
  static final String PATH_REMOVED = "PathRemoved";

  private static final Logger LOG = LoggerFactory.getLogger(PublicationRemoval.class);

  private final DataPlaneClient dataPlane;
  private final DataPlaneLocator locator;
  private final EventRecorder events;
  private final Clock clock;
  private final StatusRecorder<CvmfsPublication, CvmfsPublicationStatus> statuses;
  private final PublicationPacing pacing;

  PublicationRemoval(DataPlaneClient dataPlane, DataPlaneLocator locator, EventRecorder events, Clock clock,
      StatusRecorder<CvmfsPublication, CvmfsPublicationStatus> statuses, PublicationPacing pacing) {
    this.dataPlane = dataPlane;
    this.locator = locator;
    this.events = events;
    this.clock = clock;
    this.statuses = statuses;
    this.pacing = pacing;
  }

  /**
   * Removes the path, unless nothing was ever published, it expired, or it is gone with its
   * repository. While the data plane does not answer, the finalizer stays and removal is tried
   * again with the same backoff as publishing, with a {@code PathRemoved} condition saying why.
   */
  DeleteControl remove(CvmfsPublication publication, CvmfsRepository repository, Optional<String> token,
      KubernetesClient client) {
    if (nothingToRemove(publication.getStatus())) {
      pacing.forget(publication);
      return DeleteControl.defaultDelete();
    }
    if (repository == null || repository.isMarkedForDeletion() || token.isEmpty()) {
      pacing.forget(publication);
      return DeleteControl.defaultDelete();
    }
    String path = publication.getSpec().path();
    try {
      if (stillPublishing(publication, repository, token.get())) {
        // Removed now, the path would come back when the publish commits.
        return DeleteControl.noFinalizerRemoval().rescheduleAfter(pacing.whileRunning(publication));
      }
      if (dataPlane.delete(locator.baseUrl(repository), repository.fqrn(), path, token.get())) {
        events.normal(publication, "Removed", "/" + path + " removed from " + repository.fqrn());
      }
    } catch (DataPlaneException e) {
      if (e.isTransient()) {
        removalWaits(publication, client, "cannot remove /" + path + " until the data plane answers: "
            + e.getMessage());
        return DeleteControl.noFinalizerRemoval().rescheduleAfter(pacing.afterFailure(publication));
      }
      events.warning(publication, "RemoveFailed", e.getMessage());
    }
    pacing.forget(publication);
    return DeleteControl.defaultDelete();
  }

  /** Whether the publish the status records is still running on the data plane. */
  private boolean stillPublishing(CvmfsPublication publication, CvmfsRepository repository, String token)
      throws DataPlaneException {
    String operation = publication.getStatus().operation();
    return operation != null && dataPlane.operation(locator.baseUrl(repository), repository.fqrn(), token, operation)
        .filter(running -> running.state() == PublishOperation.State.RUNNING).isPresent();
  }

  /**
   * Whether the data plane cannot hold the path: no status, or never published (no revision, no
   * publishedAt) and no publication in flight (Pending or Failed), or expired, which the data
   * plane removes by itself.
   */
  static boolean nothingToRemove(CvmfsPublicationStatus status) {
    if (status == null || status.phase() == Phase.Expired) {
      return true;
    }
    return status.revision() == null && status.publishedAt() == null
        && (status.phase() == null || status.phase() == Phase.Pending || status.phase() == Phase.Failed);
  }

  /** Says in a condition why the finalizer stays: one event and one status write per new reason. */
  private void removalWaits(CvmfsPublication publication, KubernetesClient client, String message) {
    if (!CvmfsPublicationReconciler.hasReason(publication, PATH_REMOVED, CvmfsPublicationReconciler.DATA_PLANE_UNAVAILABLE)) {
      events.warning(publication, CvmfsPublicationReconciler.DATA_PLANE_UNAVAILABLE, message);
    }
    CvmfsPublicationStatus previous = publication.getStatus();
    List<Condition> conditions = new ArrayList<>(CvmfsPublicationReconciler.conditionsOf(publication).stream()
        .filter(c -> !c.type().equals(PATH_REMOVED)).toList());
    conditions.addAll(new Conditions(CvmfsPublicationReconciler.conditionsOf(publication), publication.getMetadata().getGeneration(),
        clock.instant()).set(PATH_REMOVED, false, CvmfsPublicationReconciler.DATA_PLANE_UNAVAILABLE, message).list());
    CvmfsPublicationStatus status = CvmfsPublicationStatus.carriedOver(previous)
        .message(message)
        .conditions(conditions)
        .build();
    try {
      statuses.writeNow(client, publication, status);
    } catch (KubernetesClientException e) {
      // The condition is information; removal is retried either way.
      LOG.warn("could not record why {}/{} waits: {}", publication.getMetadata().getNamespace(),
          publication.getMetadata().getName(), e.getMessage());
    }
  }
}
