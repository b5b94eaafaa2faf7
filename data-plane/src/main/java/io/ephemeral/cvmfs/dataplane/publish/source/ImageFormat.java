package io.ephemeral.cvmfs.dataplane.publish.source;

/** The container image archives {@link ImageArchiveSource} reads. */
public enum ImageFormat {
  /** What {@code docker save} writes: {@code manifest.json} lists the layer tars of the image. */
  DOCKER_ARCHIVE,
  /**
   * An OCI image layout in a tar, as {@code podman save --format oci-archive} or {@code skopeo}
   * write it: {@code index.json} leads to the image manifest, which lists the layer blobs.
   */
  OCI_ARCHIVE
}
