package io.ephemeral.cvmfs.operator.api;

import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.ValidationRule;

/** Content-defined chunking bounds, in bytes or with KiB, MiB, GiB. */
@ValidationRule(value = "[[self.minSize, self.averageSize, self.maxSize].map(s, int(s.find('^[0-9]+'))"
    + " * (s.endsWith('TiB') ? 1099511627776 : s.endsWith('GiB') ? 1073741824 : s.endsWith('MiB') ? 1048576"
    + " : s.endsWith('KiB') ? 1024 : 1))].all(b, 32 <= b[0] && b[0] < b[1] && b[1] < b[2])",
    message = "chunk sizes must satisfy 32 bytes <= minSize < averageSize < maxSize")
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
