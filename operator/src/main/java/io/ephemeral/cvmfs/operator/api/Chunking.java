package io.ephemeral.cvmfs.operator.api;

import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;

/** Content-defined chunking bounds, in bytes or with KiB, MiB, GiB. */
public record Chunking(
    @Pattern(Patterns.BYTES) @Default("4MiB") String minSize,
    @Pattern(Patterns.BYTES) @Default("8MiB") String averageSize,
    @Pattern(Patterns.BYTES) @Default("16MiB") String maxSize) {

  public static final Chunking DEFAULT = new Chunking(null, null, null);

  public Chunking {
    minSize = minSize == null ? "4MiB" : minSize;
    averageSize = averageSize == null ? "8MiB" : averageSize;
    maxSize = maxSize == null ? "16MiB" : maxSize;
  }
}
