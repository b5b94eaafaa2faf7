package io.ephemeral.cvmfs.operator.api;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Locale;

/** Object compressions as the data plane's {@code --compression} names them. */
public enum CompressionName {
  @JsonProperty("zlib") ZLIB,
  @JsonProperty("none") NONE;

  /** The name the data plane's flag takes, which is also the schema's. */
  public String flag() {
    return name().toLowerCase(Locale.ROOT);
  }
}
