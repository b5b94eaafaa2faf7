package io.ephemeral.cvmfs.operator.api;

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
@AdditionalPrinterColumn(name = "Expires", jsonPath = ".status.expiresAt", type = AdditionalPrinterColumn.Type.DATE)
@AdditionalPrinterColumn(name = "Message", jsonPath = ".status.message", priority = 1)
@AdditionalPrinterColumn(name = "Age", jsonPath = ".metadata.creationTimestamp", type = AdditionalPrinterColumn.Type.DATE)
public class CvmfsPublication extends CustomResource<CvmfsPublicationSpec, CvmfsPublicationStatus> implements Namespaced {
}
