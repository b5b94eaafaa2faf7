package io.ephemeral.cvmfs.operator.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/** A CVMFS repository served by one data-plane workload, with its keys, client configuration and maintenance. */
@Group(CvmfsRepository.GROUP)
@Version(CvmfsRepository.VERSION)
@ShortNames("cvmfsrepo")
@AdditionalPrinterColumn(name = "FQRN", jsonPath = ".status.fqrn")
@AdditionalPrinterColumn(name = "Revision", jsonPath = ".status.revision", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "Ready", jsonPath = ".status.conditions[?(@.type==\"Ready\")].status")
@AdditionalPrinterColumn(name = "Reason", jsonPath = ".status.conditions[?(@.type==\"Ready\")].reason", priority = 1)
@AdditionalPrinterColumn(name = "URL", jsonPath = ".status.repositoryUrl", priority = 1)
@AdditionalPrinterColumn(name = "Storage", jsonPath = ".status.storage", priority = 1)
@AdditionalPrinterColumn(name = "Writer", jsonPath = ".status.writer", priority = 1)
@AdditionalPrinterColumn(name = "Age", jsonPath = ".metadata.creationTimestamp", type = AdditionalPrinterColumn.Type.DATE)
public class CvmfsRepository extends CustomResource<CvmfsRepositorySpec, CvmfsRepositoryStatus> implements Namespaced {

  public static final String GROUP = "cvmfs.ephemeral.io";
  public static final String VERSION = "v1alpha1";

  /** The repository name: {@code spec.fqrn}, or the object's name when the spec names none. */
  public String fqrn() {
    String fqrn = getSpec() == null ? null : getSpec().fqrn();
    return fqrn != null ? fqrn : getMetadata().getName();
  }

  @Override
  protected CvmfsRepositorySpec initSpec() {
    return CvmfsRepositorySpec.defaults();
  }

  @Override
  @JsonPropertyDescription("What the repository should be; every field has a default.")
  public CvmfsRepositorySpec getSpec() {
    return super.getSpec();
  }

  @Override
  @JsonPropertyDescription("What the operator observed: conditions, the served revision, URLs, key fingerprint.")
  public CvmfsRepositoryStatus getStatus() {
    return super.getStatus();
  }
}
