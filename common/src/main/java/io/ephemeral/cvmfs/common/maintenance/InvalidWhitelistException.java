package io.ephemeral.cvmfs.common.maintenance;

/** A whitelist that a client would refuse, or that does not list this repository's certificate. */
public final class InvalidWhitelistException extends Exception {

  public InvalidWhitelistException(String message) {
    super(message);
  }
}
