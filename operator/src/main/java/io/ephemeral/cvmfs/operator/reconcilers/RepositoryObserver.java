package io.ephemeral.cvmfs.operator.reconcilers;

import io.ephemeral.cvmfs.common.format.HashAlgorithm;
import io.ephemeral.cvmfs.common.format.Whitelist;
import io.ephemeral.cvmfs.common.maintenance.InvalidWhitelistException;
import io.ephemeral.cvmfs.operator.api.CvmfsRepository;
import io.ephemeral.cvmfs.operator.dataplane.DataPlaneException;
import io.ephemeral.cvmfs.operator.dataplane.RepositoryInfo;
import io.ephemeral.cvmfs.operator.dependents.RepositoryResources;
import io.ephemeral.cvmfs.operator.keys.RepositoryKeySet;
import io.ephemeral.cvmfs.operator.reconcilers.RepositoryObservation.Finding;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.io.IOException;
import java.time.Instant;
import java.util.Optional;

/**
 * Reads a repository's state: its keys Secret, its whitelist, and its data plane's Deployment
 * and what it serves. It changes nothing, so that what it sees can be tested apart from what
 * the reconciler does about it.
 */
final class RepositoryObserver {

  /** Asks a repository's data plane what it serves: revision, storage, writer. */
  @FunctionalInterface
  interface ServedRepository {
    RepositoryInfo of(CvmfsRepository repository) throws DataPlaneException;
  }

  private final ServedRepository served;

  RepositoryObserver(ServedRepository served) {
    this.served = served;
  }

  RepositoryObservation observe(CvmfsRepository repository, Optional<Secret> keysSecret,
      Optional<Deployment> deployment, Instant now) {
    String fqrn = repository.fqrn();
    Finding keys;
    Finding whitelist;
    String fingerprint = null;
    String whitelistExpiresAt = null;
    if (keysSecret.isEmpty()) {
      keys = new Finding(false, "Missing", "the keys Secret " + RepositoryResources.keysSecret(repository)
          + " does not exist yet");
      whitelist = new Finding(false, "Missing", "no whitelist yet");
    } else {
      try {
        RepositoryKeySet set = RepositoryKeySet.fromSecret(fqrn, keysSecret.get());
        fingerprint = set.fingerprint(HashAlgorithm.fromConfigName(repository.getSpec().hashAlgorithm().flag()));
        keys = new Finding(true, "Present", "repository key, certificate, master public key and whitelist in "
            + RepositoryResources.keysSecret(repository));
        try {
          Whitelist checked = set.checkedWhitelist(now);
          whitelistExpiresAt = checked.clientExpiry().toString();
          whitelist = new Finding(true, "Valid", "signed by the master key, expires at " + whitelistExpiresAt);
        } catch (InvalidWhitelistException e) {
          whitelist = new Finding(false, "Invalid", e.getMessage());
        }
      } catch (IOException | RuntimeException e) {
        fingerprint = null;
        keys = new Finding(false, "Unreadable", "the keys Secret cannot be read: " + e.getMessage());
        whitelist = new Finding(false, "Unreadable", "the keys Secret cannot be read");
      }
    }

    Finding dataPlane;
    RepositoryInfo info = null;
    if (availableReplicas(deployment) < 1) {
      dataPlane = new Finding(false, "Unavailable", "no data-plane pod of " + RepositoryResources.dataPlane(repository)
          + " is available yet");
    } else {
      try {
        info = served.of(repository);
        dataPlane = new Finding(true, "Serving", "serving revision " + info.revision()
            + (info.storage() == null ? "" : " from " + info.storage())
            + (info.writer() == null ? "" : ", written by " + info.writer()));
      } catch (DataPlaneException e) {
        dataPlane = new Finding(false, "Unreachable", e.getMessage());
      }
    }
    return new RepositoryObservation(keys, whitelist, dataPlane, fingerprint, whitelistExpiresAt, info);
  }

  private static int availableReplicas(Optional<Deployment> deployment) {
    return deployment.map(d -> d.getStatus() == null || d.getStatus().getAvailableReplicas() == null ? 0
        : d.getStatus().getAvailableReplicas()).orElse(0);
  }
}
