package io.ephemeral.cvmfs.operator.dataplane;

import io.ephemeral.cvmfs.operator.api.CvmfsRepository;
import io.ephemeral.cvmfs.operator.dependents.RepositoryResources;
import java.net.URI;

/** Where the operator reaches a repository's data plane. */
@FunctionalInterface
public interface DataPlaneLocator {

  URI baseUrl(CvmfsRepository repository);

  /** Through the repository's Service, by its name in the cluster's DNS domain. */
  static DataPlaneLocator inCluster(String clusterDomain) {
    return repository -> URI.create(RepositoryResources.clusterUrl(repository, clusterDomain));
  }
}
