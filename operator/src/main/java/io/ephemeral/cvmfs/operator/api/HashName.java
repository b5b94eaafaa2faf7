package io.ephemeral.cvmfs.operator.api;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Locale;

/** Content hashes as the data plane's {@code --hash} names them. */
public enum HashName {
  @JsonProperty("sha1") SHA1,
  @JsonProperty("rmd160") RMD160,
  @JsonProperty("shake128") SHAKE128;

  /** The name the data plane's flag takes, which is also the schema's. */
  public String flag() {
    return name().toLowerCase(Locale.ROOT);
  }
}
