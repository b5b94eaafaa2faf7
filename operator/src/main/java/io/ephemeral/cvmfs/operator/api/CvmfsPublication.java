package io.ephemeral.cvmfs.operator.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/** A path published into a repository of the same namespace for a limited time. */
@Group(CvmfsRepository.GROUP)
@Version(CvmfsRepository.VERSION)
@ShortNames("cvmfspub")
@AdditionalPrinterColumn(name = "Repository", jsonPath = ".spec.repository")
@AdditionalPrinterColumn(name = "Path", jsonPath = ".spec.path")
@AdditionalPrinterColumn(name = "Phase", jsonPath = ".status.phase")
@AdditionalPrinterColumn(name = "Revision", jsonPath = ".status.revision", type = AdditionalPrinterColumn.Type.INTEGER)
// A date column renders a time in the future as <invalid>: the expiry is shown as it is.
@AdditionalPrinterColumn(name = "Expires", jsonPath = ".status.expiresAt")
@AdditionalPrinterColumn(name = "Message", jsonPath = ".status.message", priority = 1)
@AdditionalPrinterColumn(name = "Age", jsonPath = ".metadata.creationTimestamp", type = AdditionalPrinterColumn.Type.DATE)
public class CvmfsPublication extends CustomResource<CvmfsPublicationSpec, CvmfsPublicationStatus> implements Namespaced {

  @Override
  @JsonPropertyDescription("What to publish where, and for how long; only ttl may change once created.")
  public CvmfsPublicationSpec getSpec() {
    return super.getSpec();
  }

  @Override
  @JsonPropertyDescription("What became of the publication: phase, revision, expiry, size, conditions.")
  public CvmfsPublicationStatus getStatus() {
    return super.getStatus();
  }
}
