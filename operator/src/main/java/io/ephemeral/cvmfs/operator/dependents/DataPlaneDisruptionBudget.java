package io.ephemeral.cvmfs.operator.dependents;

import io.ephemeral.cvmfs.operator.api.CvmfsRepository;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudgetBuilder;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.dependent.DependentResource;
import io.javaoperatorsdk.operator.processing.dependent.workflow.Condition;

/**
 * Keeps one data-plane replica up through a node drain, so that reads go on while the lease moves.
 * A single replica gets none: a budget that allows no eviction would block the drain for good.
 */
public final class DataPlaneDisruptionBudget extends OwnedResource<PodDisruptionBudget> {

  public static final String NAME = "data-plane-budget";

  public DataPlaneDisruptionBudget() {
    super(PodDisruptionBudget.class, NAME);
  }

  @Override
  String resourceName(CvmfsRepository repository) {
    return RepositoryResources.dataPlane(repository);
  }

  @Override
  protected PodDisruptionBudget desired(CvmfsRepository repository, Context<CvmfsRepository> context) {
    return new PodDisruptionBudgetBuilder()
        .withMetadata(RepositoryResources.metadata(repository, resourceName(repository), RepositoryResources.DATA_PLANE))
        .withNewSpec()
        .withMinAvailable(new IntOrString(1))
        .withNewSelector().withMatchLabels(RepositoryResources.selector(repository)).endSelector()
        .endSpec()
        .build();
  }

  /** Only a repository with more than one replica gets a budget; the workflow deletes it when it drops to one. */
  public static final class Replicated implements Condition<PodDisruptionBudget, CvmfsRepository> {
    @Override
    public boolean isMet(DependentResource<PodDisruptionBudget, CvmfsRepository> dependent,
        CvmfsRepository repository, Context<CvmfsRepository> context) {
      return repository.getSpec().replicas() > 1;
    }
  }
}
