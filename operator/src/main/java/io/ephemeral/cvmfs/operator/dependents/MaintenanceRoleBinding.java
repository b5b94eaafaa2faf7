package io.ephemeral.cvmfs.operator.dependents;

import io.ephemeral.cvmfs.operator.api.CvmfsRepository;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.javaoperatorsdk.operator.api.reconciler.Context;

/** Grants the maintenance Role to the maintenance ServiceAccount. */
public final class MaintenanceRoleBinding extends OwnedResource<RoleBinding> {

  public static final String NAME = "maintenance-role-binding";

  public MaintenanceRoleBinding() {
    super(RoleBinding.class, NAME);
  }

  @Override
  String resourceName(CvmfsRepository repository) {
    return RepositoryResources.maintenance(repository);
  }

  @Override
  protected RoleBinding desired(CvmfsRepository repository, Context<CvmfsRepository> context) {
    String name = resourceName(repository);
    return new RoleBindingBuilder()
        .withMetadata(RepositoryResources.metadata(repository, name, "maintenance"))
        .withNewRoleRef().withApiGroup("rbac.authorization.k8s.io").withKind("Role").withName(name).endRoleRef()
        .addNewSubject().withKind("ServiceAccount").withName(name)
        .withNamespace(repository.getMetadata().getNamespace()).endSubject()
        .build();
  }
}
