package io.ephemeral.cvmfs.operator.dependents;

import io.ephemeral.cvmfs.operator.api.CvmfsRepository;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudgetBuilder;
import io.javaoperatorsdk.operator.api.reconciler.Context;

/** Lets a node drain take one relay at a time, so that subscribers always have one to move to. */
public final class NotificationRelayDisruptionBudget extends OwnedResource<PodDisruptionBudget> {

  public static final String NAME = "notification-relay-budget";

  public NotificationRelayDisruptionBudget() {
    super(PodDisruptionBudget.class, NAME);
  }

  @Override
  String resourceName(CvmfsRepository repository) {
    return RepositoryResources.notificationRelay(repository);
  }

  @Override
  protected PodDisruptionBudget desired(CvmfsRepository repository, Context<CvmfsRepository> context) {
    String component = RepositoryResources.NOTIFICATION_RELAY;
    return new PodDisruptionBudgetBuilder()
        .withMetadata(RepositoryResources.metadata(repository, resourceName(repository), component))
        .withNewSpec()
        .withMaxUnavailable(new IntOrString(1))
        .withNewSelector().withMatchLabels(RepositoryResources.selector(repository, component)).endSelector()
        .endSpec()
        .build();
  }
}
