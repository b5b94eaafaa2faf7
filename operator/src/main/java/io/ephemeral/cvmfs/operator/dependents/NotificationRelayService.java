package io.ephemeral.cvmfs.operator.dependents;

import io.ephemeral.cvmfs.operator.api.CvmfsRepository;
import io.ephemeral.cvmfs.operator.api.ServiceExposure;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.javaoperatorsdk.operator.api.reconciler.Context;

/** The address clients subscribe to for notifications: port 4929 of the relays, exposed like the data plane. */
public final class NotificationRelayService extends OwnedResource<Service> {

  public static final String NAME = "notification-relay-service";

  public NotificationRelayService() {
    super(Service.class, NAME);
  }

  @Override
  String resourceName(CvmfsRepository repository) {
    return RepositoryResources.notificationRelay(repository);
  }

  @Override
  protected Service desired(CvmfsRepository repository, Context<CvmfsRepository> context) {
    ServiceExposure exposure = repository.getSpec().service();
    String component = RepositoryResources.NOTIFICATION_RELAY;
    return new ServiceBuilder()
        .withMetadata(RepositoryResources.metadata(repository, resourceName(repository), component))
        .editMetadata().addToAnnotations(exposure.annotations()).endMetadata()
        .withNewSpec()
        .withType(exposure.type().kubernetesName())
        .withSelector(RepositoryResources.selector(repository, component))
        .addNewPort().withName("notifications").withPort(RepositoryResources.NOTIFICATION_PORT)
        .withTargetPort(new IntOrString("notifications")).withProtocol("TCP").endPort()
        .endSpec()
        .build();
  }
}
