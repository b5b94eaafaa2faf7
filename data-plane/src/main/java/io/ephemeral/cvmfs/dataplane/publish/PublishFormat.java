package io.ephemeral.cvmfs.dataplane.publish;

import io.ephemeral.cvmfs.dataplane.publish.source.ArchiveFormat;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** What a request body holds. */
public enum PublishFormat {
  FILE("file", null),
  TAR("tar", ArchiveFormat.TAR),
  TAR_GZ("tar.gz", ArchiveFormat.TAR_GZ),
  TAR_ZST("tar.zst", ArchiveFormat.TAR_ZST),
  DOCKER_ARCHIVE("docker-archive", null),
  OCI_ARCHIVE("oci-archive", null);

  private final String name;
  private final ArchiveFormat archive;

  PublishFormat(String name, ArchiveFormat archive) {
    this.name = name;
    this.archive = archive;
  }

  /** The tar container of a plain archive format; {@code null} for files and images. */
  public ArchiveFormat archive() {
    return archive;
  }

  public String queryName() {
    return name;
  }

  /** Parses the {@code format} query value; {@code null} or empty means: recognise from the bytes. */
  public static PublishFormat fromQuery(String value) {
    if (value == null || value.isEmpty()) {
      return null;
    }
    for (PublishFormat format : values()) {
      if (format.name.equals(value.toLowerCase(Locale.ROOT))) {
        return format;
      }
    }
    throw new IllegalArgumentException("unknown format '" + value + "' (expected "
        + Arrays.stream(values()).map(f -> f.name).collect(Collectors.joining(", ")) + ")");
  }
}
