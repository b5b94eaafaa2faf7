package io.ephemeral.cvmfs.dataplane.repository;

import io.ephemeral.cvmfs.dataplane.format.Compression;
import java.util.List;
import java.util.Locale;

/**
 * How a repository stores file content, the {@code --compression} option: {@code zlib} compresses
 * each file unless it does not compress (it is then stored as in a {@code none} repository, with
 * the entry's compression flag set to none), {@code zlib-always} compresses every file, {@code
 * none} none. A repository's configured compression is zlib for the first two; only entry flags
 * ever say none in a zlib repository.
 */
public enum CompressionPolicy {
  ADAPTIVE("zlib", Compression.ZLIB),
  ZLIB_ALWAYS("zlib-always", Compression.ZLIB),
  NONE("none", Compression.NONE);

  private final String configName;
  private final Compression repositoryCompression;

  CompressionPolicy(String configName, Compression repositoryCompression) {
    this.configName = configName;
    this.repositoryCompression = repositoryCompression;
  }

  public String configName() {
    return configName;
  }

  /** The compression the repository is configured with: zlib, or none. */
  public Compression repositoryCompression() {
    return repositoryCompression;
  }

  /** The policy that stores every object with {@code compression}, deciding nothing. */
  public static CompressionPolicy always(Compression compression) {
    return compression == Compression.NONE ? NONE : ZLIB_ALWAYS;
  }

  public static CompressionPolicy fromConfigName(String name) {
    for (CompressionPolicy policy : values()) {
      if (policy.configName.equals(name.toLowerCase(Locale.ROOT))) {
        return policy;
      }
    }
    throw new IllegalArgumentException("unknown compression '" + name + "' (expected one of "
        + String.join(", ", List.of(values()).stream().map(CompressionPolicy::configName).toList()) + ")");
  }
}
