package io.ephemeral.cvmfs.operator.reconcilers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.ephemeral.cvmfs.common.format.HashAlgorithm;
import io.ephemeral.cvmfs.operator.api.CvmfsRepository;
import io.ephemeral.cvmfs.operator.api.CvmfsRepositorySpec;
import io.ephemeral.cvmfs.operator.dataplane.DataPlaneException;
import io.ephemeral.cvmfs.operator.dataplane.RepositoryInfo;
import io.ephemeral.cvmfs.operator.keys.MasterKey;
import io.ephemeral.cvmfs.operator.keys.RepositoryKeySet;
import io.ephemeral.cvmfs.operator.keys.SecretFiles;
import io.ephemeral.cvmfs.operator.reconcilers.RepositoryObservation.Finding;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** What the observer makes of keys, whitelist and data plane, without a cluster or a data plane. */
class RepositoryObserverTest {

  private static final String FQRN = "observed.example.org";
  private static final Instant SIGNED = Instant.parse("2026-03-01T00:00:00Z");
  private static final Secret KEYS = keysSecret();
  private static final Secret GARBAGE = new SecretBuilder().withNewMetadata().withName("observed-keys").endMetadata()
      .withData(Map.of(SecretFiles.certificate(FQRN), SecretFiles.encode("not a certificate"))).build();

  private static Secret keysSecret() {
    RepositoryKeySet keys = RepositoryKeySet.generate(FQRN, MasterKey.generate(), HashAlgorithm.SHA1,
        Duration.ofDays(30), SIGNED);
    return new SecretBuilder().withNewMetadata().withName("observed-keys").endMetadata().withData(Map.of(
        SecretFiles.repositoryKey(FQRN), SecretFiles.encode(keys.repositoryKeyPem()),
        SecretFiles.certificate(FQRN), SecretFiles.encode(keys.certificatePem()),
        SecretFiles.masterPublicKey(FQRN), SecretFiles.encode(keys.masterPublicKeyPem()),
        SecretFiles.whitelist(FQRN), SecretFiles.encode(keys.whitelist()))).build();
  }

  private static Deployment available(Integer replicas) {
    return new DeploymentBuilder().withNewMetadata().withName("observed-data-plane").endMetadata()
        .withNewStatus().withAvailableReplicas(replicas).endStatus().build();
  }

  private static final RepositoryObserver.ServedRepository SERVES_7 = r -> new RepositoryInfo(FQRN, 7, 0, null, null,
      null);
  private static final RepositoryObserver.ServedRepository DOWN = r -> {
    throw new DataPlaneException(0, "unreachable", "the data plane did not answer");
  };
  private static final RepositoryObserver.ServedRepository NEVER_ASKED = r -> {
    throw new AssertionError("the data plane was asked without an available pod");
  };

  static Stream<Arguments> observations() {
    Instant fresh = SIGNED.plus(Duration.ofDays(1));
    Instant late = SIGNED.plus(Duration.ofDays(40));
    return Stream.of(
        // case, keys Secret, Deployment, data plane, when, keys, whitelist, data plane, revision, Ready reason
        Arguments.of("nothing yet", null, null, NEVER_ASKED, fresh,
            "Missing", "Missing", "Unavailable", null, "KeysNotReady"),
        Arguments.of("unreadable keys", GARBAGE, null, NEVER_ASKED, fresh,
            "Unreadable", "Unreadable", "Unavailable", null, "KeysNotReady"),
        Arguments.of("keys, no pod", KEYS, null, NEVER_ASKED, fresh,
            "Present", "Valid", "Unavailable", null, "DataPlaneNotReady"),
        Arguments.of("keys, no status on the Deployment", KEYS, new DeploymentBuilder().build(), NEVER_ASKED, fresh,
            "Present", "Valid", "Unavailable", null, "DataPlaneNotReady"),
        Arguments.of("keys, no pod available", KEYS, available(0), NEVER_ASKED, fresh,
            "Present", "Valid", "Unavailable", null, "DataPlaneNotReady"),
        Arguments.of("keys, data plane down", KEYS, available(1), DOWN, fresh,
            "Present", "Valid", "Unreachable", null, "DataPlaneNotReady"),
        Arguments.of("expired whitelist", KEYS, available(1), SERVES_7, late,
            "Present", "Invalid", "Serving", 7L, "WhitelistInvalid"),
        Arguments.of("serving", KEYS, available(2), SERVES_7, fresh,
            "Present", "Valid", "Serving", 7L, "Serving"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("observations")
  void observes(String name, Secret keys, Deployment deployment, RepositoryObserver.ServedRepository served, Instant now,
      String keysReason, String whitelistReason, String dataPlaneReason, Long revision, String readyReason) {
    CvmfsRepository repository = new CvmfsRepository();
    repository.setMetadata(new ObjectMetaBuilder().withName("observed").withNamespace("ns").build());
    repository.setSpec(CvmfsRepositorySpec.defaults().withFqrn(FQRN));

    RepositoryObservation observation = new RepositoryObserver(served)
        .observe(repository, Optional.ofNullable(keys), Optional.ofNullable(deployment), now);

    assertEquals(keysReason, observation.keys().reason());
    assertEquals(keysReason.equals("Present"), observation.keys().ok());
    assertEquals(whitelistReason, observation.whitelist().reason());
    assertEquals(whitelistReason.equals("Valid"), observation.whitelist().ok());
    assertEquals(dataPlaneReason, observation.dataPlane().reason());
    assertEquals(revision, observation.served() == null ? null : observation.served().revision());
    if (keysReason.equals("Present")) {
      assertNotNull(observation.publicKeyFingerprint());
    } else {
      assertNull(observation.publicKeyFingerprint());
    }
    assertEquals(whitelistReason.equals("Valid"), observation.whitelistExpiresAt() != null);
    Finding ready = observation.readiness(FQRN, revision);
    assertEquals(readyReason, ready.reason());
    assertEquals(readyReason.equals("Serving"), ready.ok());
    assertEquals(ready.ok(), observation.ready());
  }

  @Test
  void theConditionSaysWhereTheRepositoryLivesAndWhoWrites() {
    CvmfsRepository repository = new CvmfsRepository();
    repository.setMetadata(new ObjectMetaBuilder().withName("observed").withNamespace("ns").build());
    repository.setSpec(CvmfsRepositorySpec.defaults().withFqrn(FQRN));
    RepositoryInfo info = new RepositoryInfo(FQRN, 9, 2, null, "s3://bucket/ci/" + FQRN, "observed-data-plane-5d8f-x");

    RepositoryObservation observation = new RepositoryObserver(r -> info)
        .observe(repository, Optional.of(KEYS), Optional.of(available(2)), SIGNED.plus(Duration.ofDays(1)));

    assertEquals(info, observation.served());
    assertEquals("serving revision 9 from s3://bucket/ci/" + FQRN + ", written by observed-data-plane-5d8f-x",
        observation.dataPlane().message());
  }
}
