package io.ephemeral.cvmfs.operator.keys;

import io.fabric8.kubernetes.api.model.Secret;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Optional;

/**
 * The file names inside the key Secrets: the names cvmfs_server gives them, so that a mounted
 * Secret is a keys directory the data plane reads as is.
 */
public final class SecretFiles {

  private SecretFiles() {
  }

  public static String masterKey(String fqrn) {
    return fqrn + ".masterkey";
  }

  public static String masterPublicKey(String fqrn) {
    return fqrn + ".pub";
  }

  public static String repositoryKey(String fqrn) {
    return fqrn + ".key";
  }

  public static String certificate(String fqrn) {
    return fqrn + ".crt";
  }

  public static String whitelist(String fqrn) {
    return fqrn + ".cvmfswhitelist";
  }

  /** An entry of a Secret, decoded from {@code data} or taken from {@code stringData}. */
  public static Optional<byte[]> read(Secret secret, String key) {
    if (secret.getData() != null && secret.getData().containsKey(key)) {
      return Optional.of(Base64.getDecoder().decode(secret.getData().get(key)));
    }
    if (secret.getStringData() != null && secret.getStringData().containsKey(key)) {
      return Optional.of(secret.getStringData().get(key).getBytes(StandardCharsets.UTF_8));
    }
    return Optional.empty();
  }

  public static Optional<String> readString(Secret secret, String key) {
    return read(secret, key).map(bytes -> new String(bytes, StandardCharsets.UTF_8));
  }

  public static String encode(byte[] bytes) {
    return Base64.getEncoder().encodeToString(bytes);
  }

  public static String encode(String text) {
    return encode(text.getBytes(StandardCharsets.UTF_8));
  }
}
