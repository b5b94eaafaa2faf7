package io.ephemeral.cvmfs.operator.api;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * Object compressions as the data plane's {@code --compression} names them: {@code zlib} leaves
 * files that do not compress uncompressed, {@code zlib-always} compresses every file.
 */
public enum CompressionName {
  @JsonProperty("zlib") ZLIB("zlib"),
  @JsonProperty("zlib-always") ZLIB_ALWAYS("zlib-always"),
  @JsonProperty("none") NONE("none");

  private final String flag;

  CompressionName(String flag) {
    this.flag = flag;
  }

  /** The name the data plane's flag takes, which is also the schema's. */
  public String flag() {
    return flag;
  }
}
