package io.ephemeral.cvmfs.operator.dependents;

import io.ephemeral.cvmfs.operator.api.CvmfsRepository;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBuilder;
import io.javaoperatorsdk.operator.api.reconciler.Context;

/** Reading and updating the one keys Secret of this repository, nothing else. */
public final class MaintenanceRole extends OwnedResource<Role> {

  public static final String NAME = "maintenance-role";

  public MaintenanceRole() {
    super(Role.class, NAME);
  }

  @Override
  String resourceName(CvmfsRepository repository) {
    return RepositoryResources.maintenance(repository);
  }

  @Override
  protected Role desired(CvmfsRepository repository, Context<CvmfsRepository> context) {
    return new RoleBuilder()
        .withMetadata(RepositoryResources.metadata(repository, resourceName(repository), "maintenance"))
        .addNewRule()
        .withApiGroups("")
        .withResources("secrets")
        .withResourceNames(RepositoryResources.keysSecret(repository))
        .withVerbs("get", "update", "patch")
        .endRule()
        .build();
  }
}
