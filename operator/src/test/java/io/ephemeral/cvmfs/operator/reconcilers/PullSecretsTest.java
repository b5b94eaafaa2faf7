package io.ephemeral.cvmfs.operator.reconcilers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ephemeral.cvmfs.common.publish.ImageReference;
import io.ephemeral.cvmfs.operator.dataplane.PublishRequest.RegistryCredentials;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class PullSecretsTest {

  private static final ImageReference IMAGE = ImageReference.parse("registry.example.org:5000/team/app:1");

  @Test
  void readsAuthOrUsernameAndPassword() {
    String auth = Base64.getEncoder().encodeToString("ci:pa:ss".getBytes(StandardCharsets.UTF_8));
    Secret withAuth = secret("{\"auths\":{\"other.example.org\":{\"auth\":\"eDp5\"},"
        + "\"https://registry.example.org:5000\":{\"auth\":\"" + auth + "\"}}}");
    assertEquals(Optional.of(new RegistryCredentials("ci", "pa:ss")), PullSecrets.credentials(withAuth, IMAGE));
    Secret withFields = secret("{\"auths\":{\"registry.example.org:5000\":{\"username\":\"u\",\"password\":\"p\"}}}");
    assertEquals(Optional.of(new RegistryCredentials("u", "p")), PullSecrets.credentials(withFields, IMAGE));
  }

  @Test
  void noEntryForTheRegistryMeansAnonymous() {
    assertEquals(Optional.empty(), PullSecrets.credentials(secret("{\"auths\":{\"ghcr.io\":{\"auth\":\"eDp5\"}}}"),
        IMAGE));
  }

  @Test
  void refusesWhatIsNoPullSecret() {
    Secret opaque = new SecretBuilder().withNewMetadata().withName("s").endMetadata().addToStringData("token", "x")
        .build();
    assertTrue(assertThrows(IllegalArgumentException.class, () -> PullSecrets.credentials(opaque, IMAGE))
        .getMessage().contains(".dockerconfigjson"));
    assertThrows(IllegalArgumentException.class, () -> PullSecrets.credentials(secret("not json"), IMAGE));
    assertThrows(IllegalArgumentException.class, () -> PullSecrets.credentials(
        secret("{\"auths\":{\"registry.example.org:5000\":{\"auth\":\"bm9jb2xvbg==\"}}}"), IMAGE));
  }

  private static Secret secret(String config) {
    return new SecretBuilder().withNewMetadata().withName("pull").endMetadata()
        .withType(PullSecrets.TYPE).addToStringData(PullSecrets.KEY, config).build();
  }
}
