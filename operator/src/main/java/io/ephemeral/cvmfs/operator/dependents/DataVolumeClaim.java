package io.ephemeral.cvmfs.operator.dependents;

import io.ephemeral.cvmfs.operator.api.CvmfsRepository;
import io.ephemeral.cvmfs.operator.api.Storage;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.dependent.DependentResource;
import io.javaoperatorsdk.operator.api.reconciler.dependent.GarbageCollected;
import io.javaoperatorsdk.operator.processing.dependent.Creator;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependentResource;
import io.javaoperatorsdk.operator.processing.dependent.workflow.Condition;
import io.javaoperatorsdk.operator.processing.event.ResourceID;

/**
 * The data volume when the spec asks for a claim. A claim's spec is immutable once bound, so it
 * is created and never updated; it goes with the repository.
 */
public final class DataVolumeClaim extends KubernetesDependentResource<PersistentVolumeClaim, CvmfsRepository>
    implements Creator<PersistentVolumeClaim, CvmfsRepository>, GarbageCollected<CvmfsRepository> {

  public static final String NAME = "data-claim";
  static final String DEFAULT_SIZE = "10Gi";

  public DataVolumeClaim() {
    super(PersistentVolumeClaim.class, NAME);
  }

  @Override
  protected PersistentVolumeClaim desired(CvmfsRepository repository, Context<CvmfsRepository> context) {
    Storage storage = repository.getSpec().storage();
    return new PersistentVolumeClaimBuilder()
        .withMetadata(RepositoryResources.metadata(repository, RepositoryResources.dataClaim(repository), "data-plane"))
        .withNewSpec()
        .withAccessModes("ReadWriteOnce")
        .withStorageClassName(storage.storageClassName())
        .withNewResources()
        .addToRequests("storage", new Quantity(storage.size() != null ? storage.size() : DEFAULT_SIZE))
        .endResources()
        .endSpec()
        .build();
  }

  @Override
  protected ResourceID targetSecondaryResourceID(CvmfsRepository repository, Context<CvmfsRepository> context) {
    return new ResourceID(RepositoryResources.dataClaim(repository), repository.getMetadata().getNamespace());
  }

  /** Only repositories that ask for a claim get one. */
  public static final class Requested implements Condition<PersistentVolumeClaim, CvmfsRepository> {
    @Override
    public boolean isMet(DependentResource<PersistentVolumeClaim, CvmfsRepository> dependent,
        CvmfsRepository repository, Context<CvmfsRepository> context) {
      return repository.getSpec().storage().type() == Storage.Type.PERSISTENT_VOLUME_CLAIM;
    }
  }
}
