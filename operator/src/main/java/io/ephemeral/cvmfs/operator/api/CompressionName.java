package io.ephemeral.cvmfs.operator.api;

import com.fasterxml.jackson.annotation.JsonProperty;

/** Object compressions as the data plane's {@code --compression} names them. */
public enum CompressionName {
  @JsonProperty("zlib") ZLIB("zlib"),
  @JsonProperty("none") NONE("none");

  private final String flag;

  CompressionName(String flag) {
    this.flag = flag;
  }

  public String flag() {
    return flag;
  }
}
