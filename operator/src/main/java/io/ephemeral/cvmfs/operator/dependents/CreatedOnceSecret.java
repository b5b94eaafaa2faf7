package io.ephemeral.cvmfs.operator.dependents;

import io.ephemeral.cvmfs.operator.api.CvmfsRepository;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.dependent.GarbageCollected;
import io.javaoperatorsdk.operator.processing.dependent.Creator;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependentResource;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import java.util.Map;

/**
 * A Secret made once and never updated: keys and tokens are generated only while their Secret
 * does not exist, so a second reconcile, an operator restart or a spec change keeps them.
 * Whoever holds the data may still change it (the maintenance job re-signs the whitelist).
 */
abstract class CreatedOnceSecret extends KubernetesDependentResource<Secret, CvmfsRepository>
    implements Creator<Secret, CvmfsRepository>, GarbageCollected<CvmfsRepository> {

  CreatedOnceSecret(String dependentName) {
    super(Secret.class, dependentName);
  }

  abstract String secretName(CvmfsRepository repository);

  /** The Secret's entries, base64-encoded; called only when the Secret must be created. */
  abstract Map<String, String> generate(CvmfsRepository repository, Context<CvmfsRepository> context);

  @Override
  protected Secret desired(CvmfsRepository repository, Context<CvmfsRepository> context) {
    return new SecretBuilder()
        .withMetadata(RepositoryResources.metadata(repository, secretName(repository), "keys"))
        .editMetadata()
        .addToAnnotations(RepositoryResources.HASH_ANNOTATION, repository.getSpec().hashAlgorithm().flag())
        .addToAnnotations(RepositoryResources.CREATION_OPTIONS_ANNOTATION,
            RepositoryResources.creationOptions(repository.getSpec()))
        .endMetadata()
        .withType("Opaque")
        .withData(generate(repository, context))
        .build();
  }

  // Selecting the Secret by name keeps desired(), which generates keys, from running for it.
  @Override
  protected ResourceID targetSecondaryResourceID(CvmfsRepository repository, Context<CvmfsRepository> context) {
    return new ResourceID(secretName(repository), repository.getMetadata().getNamespace());
  }
}
