package io.ephemeral.cvmfs.operator.dependents;

import io.ephemeral.cvmfs.operator.api.CvmfsRepository;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.CRUDKubernetesDependentResource;
import io.javaoperatorsdk.operator.processing.event.ResourceID;

/** A resource kept equal to what the repository's spec asks for, owned by the repository. */
abstract class OwnedResource<R extends HasMetadata> extends CRUDKubernetesDependentResource<R, CvmfsRepository> {

  OwnedResource(Class<R> type, String dependentName) {
    super(type, dependentName);
  }

  abstract String resourceName(CvmfsRepository repository);

  @Override
  protected ResourceID targetSecondaryResourceID(CvmfsRepository repository, Context<CvmfsRepository> context) {
    return new ResourceID(resourceName(repository), repository.getMetadata().getNamespace());
  }
}
