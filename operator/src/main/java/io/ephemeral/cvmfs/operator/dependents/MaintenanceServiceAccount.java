package io.ephemeral.cvmfs.operator.dependents;

import io.ephemeral.cvmfs.operator.api.CvmfsRepository;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.javaoperatorsdk.operator.api.reconciler.Context;

/** The identity of the maintenance job, which may write the whitelist into the keys Secret. */
public final class MaintenanceServiceAccount extends OwnedResource<ServiceAccount> {

  public static final String NAME = "maintenance-service-account";

  public MaintenanceServiceAccount() {
    super(ServiceAccount.class, NAME);
  }

  @Override
  String resourceName(CvmfsRepository repository) {
    return RepositoryResources.maintenance(repository);
  }

  @Override
  protected ServiceAccount desired(CvmfsRepository repository, Context<CvmfsRepository> context) {
    return new ServiceAccountBuilder()
        .withMetadata(RepositoryResources.metadata(repository, resourceName(repository), "maintenance"))
        .build();
  }
}
