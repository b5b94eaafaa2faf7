package io.ephemeral.cvmfs.operator.reconcilers;

import io.ephemeral.cvmfs.operator.dataplane.RepositoryInfo;

/**
 * What one look at a repository's keys and data plane found; nothing here is written anywhere
 * until the reconciler turns it into status.
 *
 * @param keys whether the keys Secret is there and readable
 * @param whitelist whether the whitelist in it is valid now
 * @param dataPlane whether a data-plane pod is available and answers
 * @param publicKeyFingerprint the certificate's fingerprint; null when the keys cannot be read
 * @param whitelistExpiresAt when clients stop trusting the whitelist; null when it is not valid
 * @param served what the data plane reports (revision, storage, writer); null when it was not asked or
 *     did not answer
 */
record RepositoryObservation(Finding keys, Finding whitelist, Finding dataPlane, String publicKeyFingerprint,
    String whitelistExpiresAt, RepositoryInfo served) {

  /** One aspect: whether it is as it should be, in a condition's reason and message. */
  record Finding(boolean ok, String reason, String message) {
  }

  boolean ready() {
    return keys.ok() && whitelist.ok() && dataPlane.ok();
  }

  /** The Ready condition's reason and message; {@code revision} is what the status reports. */
  Finding readiness(String fqrn, Long revision) {
    if (ready()) {
      return new Finding(true, "Serving", fqrn + " is served at revision " + revision);
    }
    String reason = !keys.ok() ? "KeysNotReady" : !whitelist.ok() ? "WhitelistInvalid" : "DataPlaneNotReady";
    return new Finding(false, reason, "waiting for " + (!keys.ok() ? "the keys" : !whitelist.ok()
        ? "a valid whitelist" : "the data plane"));
  }
}
