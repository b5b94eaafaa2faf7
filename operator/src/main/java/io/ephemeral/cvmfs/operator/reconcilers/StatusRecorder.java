package io.ephemeral.cvmfs.operator.reconcilers;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * Where both reconcilers write a primary's status. A status equal to the one read is not
 * written, so that a pass that changes nothing leaves the resourceVersion alone and wakes no
 * watcher. How a write meets a concurrent one is chosen per kind: see {@link Concurrency}.
 */
final class StatusRecorder<P extends CustomResource<?, S>, S> {

  /** Whether a status patch is bound to the version of the object it was computed from. */
  enum Concurrency {
    /**
     * The patch carries the object's metadata, resourceVersion included: with server-side apply
     * the API server refuses it when the object changed since, and the framework reconciles again.
     */
    OPTIMISTIC,
    /**
     * Name and namespace only, no resourceVersion: the patch applies to whatever the server holds,
     * since a version the informer cache has not caught up with would only fail it.
     */
    LAST_WRITE_WINS
  }

  private final Supplier<P> factory;
  private final Concurrency concurrency;

  StatusRecorder(Supplier<P> factory, Concurrency concurrency) {
    this.factory = factory;
    this.concurrency = concurrency;
  }

  /** Patches the status when it changed, else nothing. */
  UpdateControl<P> update(P resource, S status) {
    return unchanged(resource, status) ? UpdateControl.noUpdate() : UpdateControl.patchStatus(body(resource, status));
  }

  /** As {@link #update} for the framework's error path. */
  ErrorStatusUpdateControl<P> updateOnError(P resource, S status) {
    return unchanged(resource, status) ? ErrorStatusUpdateControl.noStatusUpdate()
        : ErrorStatusUpdateControl.patchStatus(body(resource, status));
  }

  /**
   * Writes the status at once, for a state others must see before the pass ends; returns the
   * object as the server has it then, or {@code resource} when nothing changed.
   */
  P writeNow(KubernetesClient client, P resource, S status) {
    return unchanged(resource, status) ? resource : client.resource(body(resource, status)).patchStatus();
  }

  private static <S> boolean unchanged(CustomResource<?, S> resource, S status) {
    return Objects.equals(status, resource.getStatus());
  }

  /** The object a status patch sends. */
  @SuppressWarnings({"unchecked", "rawtypes"})
  P body(P resource, S status) {
    P body = factory.get();
    if (concurrency == Concurrency.OPTIMISTIC) {
      body.setMetadata(resource.getMetadata());
      ((CustomResource) body).setSpec(resource.getSpec());
    } else {
      body.setMetadata(new ObjectMetaBuilder().withName(resource.getMetadata().getName())
          .withNamespace(resource.getMetadata().getNamespace()).build());
    }
    body.setStatus(status);
    return body;
  }
}
