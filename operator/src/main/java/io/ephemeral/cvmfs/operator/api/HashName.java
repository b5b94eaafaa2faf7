package io.ephemeral.cvmfs.operator.api;

import com.fasterxml.jackson.annotation.JsonProperty;

/** Content hashes as the data plane's {@code --hash} names them. */
public enum HashName {
  @JsonProperty("sha1") SHA1("sha1"),
  @JsonProperty("rmd160") RMD160("rmd160"),
  @JsonProperty("shake128") SHAKE128("shake128");

  private final String flag;

  HashName(String flag) {
    this.flag = flag;
  }

  public String flag() {
    return flag;
  }
}
