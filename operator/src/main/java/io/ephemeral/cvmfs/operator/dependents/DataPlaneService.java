package io.ephemeral.cvmfs.operator.dependents;

import io.ephemeral.cvmfs.operator.api.CvmfsRepository;
import io.ephemeral.cvmfs.operator.api.ServiceExposure;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.javaoperatorsdk.operator.api.reconciler.Context;

/** Objects and the API on port 80, notifications on 4929, the gateway's port. */
public final class DataPlaneService extends OwnedResource<Service> {

  public static final String NAME = "service";

  public DataPlaneService() {
    super(Service.class, NAME);
  }

  @Override
  String resourceName(CvmfsRepository repository) {
    return RepositoryResources.service(repository);
  }

  @Override
  protected Service desired(CvmfsRepository repository, Context<CvmfsRepository> context) {
    ServiceExposure exposure = repository.getSpec().service();
    return new ServiceBuilder()
        .withMetadata(RepositoryResources.metadata(repository, resourceName(repository), "data-plane"))
        .editMetadata().addToAnnotations(exposure.annotations()).endMetadata()
        .withNewSpec()
        .withType(exposure.type().kubernetesName())
        .withSelector(RepositoryResources.selector(repository))
        .addNewPort().withName("http").withPort(RepositoryResources.HTTP_PORT)
        .withTargetPort(new IntOrString("http")).withProtocol("TCP").endPort()
        .addNewPort().withName("notifications").withPort(RepositoryResources.NOTIFICATION_PORT)
        .withTargetPort(new IntOrString("notifications")).withProtocol("TCP").endPort()
        .endSpec()
        .build();
  }
}
