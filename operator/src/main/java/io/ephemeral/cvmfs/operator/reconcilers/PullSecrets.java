package io.ephemeral.cvmfs.operator.reconcilers;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ephemeral.cvmfs.common.publish.ImageReference;
import io.ephemeral.cvmfs.operator.dataplane.PublishRequest.RegistryCredentials;
import io.ephemeral.cvmfs.operator.keys.SecretFiles;
import io.fabric8.kubernetes.api.model.Secret;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;

/**
 * The registry credentials of an image pull Secret ({@code kubernetes.io/dockerconfigjson}), as
 * the kubelet reads them: {@code .dockerconfigjson} holds {@code {"auths": {REGISTRY: {...}}}},
 * each entry with {@code auth} (base64 of {@code user:password}) or {@code username} and
 * {@code password}; the key is a host, host:port or URL.
 */
final class PullSecrets {

  static final String TYPE = "kubernetes.io/dockerconfigjson";
  static final String KEY = ".dockerconfigjson";
  private static final ObjectMapper JSON = new ObjectMapper();

  private PullSecrets() {
  }

  /**
   * The credentials the Secret holds for the registry of {@code image}; empty when it has none
   * for it (the image is then pulled without, as the kubelet would). Throws {@link
   * IllegalArgumentException} naming the problem when the Secret is not a readable pull Secret.
   */
  static Optional<RegistryCredentials> credentials(Secret secret, ImageReference image) {
    String name = "Secret " + secret.getMetadata().getName();
    byte[] config = SecretFiles.read(secret, KEY).orElseThrow(() -> new IllegalArgumentException(
        name + " has no " + KEY + " (it must be of type " + TYPE + ")"));
    JsonNode auths;
    try {
      auths = JSON.readTree(config).path("auths");
    } catch (IOException e) {
      throw new IllegalArgumentException(name + ": " + KEY + " is not valid JSON");
    }
    if (!auths.isObject()) {
      throw new IllegalArgumentException(name + ": " + KEY + " has no auths object");
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = auths.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> entry = it.next();
      if (image.matchesRegistry(entry.getKey())) {
        return Optional.of(entry(name, entry.getKey(), entry.getValue()));
      }
    }
    return Optional.empty();
  }

  private static RegistryCredentials entry(String name, String registry, JsonNode entry) {
    String auth = entry.path("auth").asText("");
    if (!auth.isEmpty()) {
      String decoded;
      try {
        decoded = new String(Base64.getDecoder().decode(auth.strip()), StandardCharsets.UTF_8);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(name + ": the auth of " + registry + " is not base64");
      }
      int colon = decoded.indexOf(':');
      if (colon < 0) {
        throw new IllegalArgumentException(name + ": the auth of " + registry + " is not username:password");
      }
      return new RegistryCredentials(decoded.substring(0, colon), decoded.substring(colon + 1));
    }
    if (entry.path("username").isTextual()) {
      return new RegistryCredentials(entry.path("username").asText(), entry.path("password").asText(""));
    }
    throw new IllegalArgumentException(name + ": the entry of " + registry + " has neither auth nor username");
  }
}
