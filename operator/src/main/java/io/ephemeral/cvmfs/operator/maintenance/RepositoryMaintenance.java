package io.ephemeral.cvmfs.operator.maintenance;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ephemeral.cvmfs.common.format.HashAlgorithm;
import io.ephemeral.cvmfs.common.format.Pem;
import io.ephemeral.cvmfs.common.format.Whitelist;
import io.ephemeral.cvmfs.common.maintenance.InvalidWhitelistException;
import io.ephemeral.cvmfs.common.maintenance.WhitelistCheck;
import io.ephemeral.cvmfs.common.maintenance.WhitelistSigner;
import io.ephemeral.cvmfs.operator.dataplane.DataPlaneClient;
import io.ephemeral.cvmfs.operator.dataplane.DataPlaneException;
import io.ephemeral.cvmfs.operator.keys.SecretFiles;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * One maintenance run of a repository, as its CronJob does it: sign a new whitelist with the
 * master key, store it in the keys Secret the data plane mounts, hand it to the running data plane,
 * and collect garbage. Every step is tried even when an earlier one failed, so that a failing
 * collection never leaves the whitelist to expire.
 */
public final class RepositoryMaintenance {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final KubernetesClient client;
  private final DataPlaneClient dataPlane;
  private final Clock clock;

  public RepositoryMaintenance(KubernetesClient client, DataPlaneClient dataPlane, Clock clock) {
    this.client = client;
    this.dataPlane = dataPlane;
    this.clock = clock;
  }

  /**
   * What to maintain.
   *
   * @param keysSecret the Secret with {@code FQRN.crt}, {@code FQRN.pub} and {@code FQRN.cvmfswhitelist}
   * @param masterKeyFile the master private key in PEM
   * @param token the repository's publish token, which the data plane's maintenance API requires
   */
  public record Request(String namespace, String keysSecret, String fqrn, HashAlgorithm hash, URI dataPlaneUrl,
      Path masterKeyFile, Duration validity, String token) {}

  /**
   * What a run did.
   *
   * @param whitelistExpiresAt when clients stop accepting the new whitelist, or {@code null} when
   *     none was stored in the Secret
   * @param gc the data plane's garbage collection report, or {@code null} when it failed
   * @param errors the steps that failed; the run failed when there is any
   * @param warnings what went wrong without failing the run
   */
  public record Result(String fqrn, Instant whitelistExpiresAt, JsonNode gc, List<String> errors,
      List<String> warnings) {

    public Result {
      errors = List.copyOf(errors);
      warnings = List.copyOf(warnings);
    }

    public boolean succeeded() {
      return errors.isEmpty();
    }

    /** {@code {fqrn, whitelistExpiresAt, gc}}, the line the job prints. */
    public ObjectNode summary() {
      ObjectNode summary = JSON.createObjectNode().put("fqrn", fqrn)
          .put("whitelistExpiresAt", whitelistExpiresAt == null ? null : whitelistExpiresAt.toString());
      summary.set("gc", gc);
      return summary;
    }
  }

  public Result run(Request request) {
    List<String> errors = new ArrayList<>();
    List<String> warnings = new ArrayList<>();
    String secret = request.namespace() + "/" + request.keysSecret();
    Instant expiresAt = null;
    Signed signed = null;
    try {
      signed = sign(request);
    } catch (IOException | InvalidWhitelistException | KubernetesClientException e) {
      errors.add("not re-signing the whitelist of " + request.fqrn() + ": " + e.getMessage());
    }
    if (signed != null) {
      try {
        store(request, signed.file());
        expiresAt = signed.whitelist().clientExpiry();
      } catch (KubernetesClientException e) {
        errors.add("cannot write the whitelist into Secret " + secret + ": " + e.getMessage());
      }
      try {
        dataPlane.putWhitelist(request.dataPlaneUrl(), request.fqrn(), request.token(), signed.file());
      } catch (DataPlaneException e) {
        warnings.add("the running data plane did not take the new whitelist; it reads it from the mounted Secret "
            + secret + " once the kubelet updates it: " + e.getMessage());
      }
    }
    JsonNode gc = null;
    try {
      gc = dataPlane.collectGarbage(request.dataPlaneUrl(), request.fqrn(), request.token());
    } catch (DataPlaneException e) {
      errors.add("garbage collection failed: " + e.getMessage());
    }
    return new Result(request.fqrn(), expiresAt, gc, errors, warnings);
  }

  private record Signed(byte[] file, Whitelist whitelist) {}

  /** A new whitelist for the Secret's certificate, refused unless it verifies with the Secret's master public key. */
  private Signed sign(Request request) throws IOException, InvalidWhitelistException {
    String fqrn = request.fqrn();
    Secret secret = keysSecret(request);
    X509Certificate certificate = Pem.readCertificate(required(secret, SecretFiles.certificate(fqrn)));
    PublicKey masterPublicKey = Pem.readPublicKey(required(secret, SecretFiles.masterPublicKey(fqrn)));
    PrivateKey masterKey;
    try {
      masterKey = Pem.readPrivateKey(Files.readString(request.masterKeyFile()));
    } catch (IOException e) {
      throw new IOException("cannot read the master key " + request.masterKeyFile() + ": " + e.getMessage(), e);
    }
    Instant now = clock.instant();
    byte[] whitelist = new WhitelistSigner(fqrn, certificate, masterKey, request.hash()).sign(now, request.validity());
    // A mismatched master key would sign a whitelist every client rejects: keep the old one instead.
    try {
      return new Signed(whitelist, new WhitelistCheck(fqrn, masterPublicKey, certificate).check(whitelist, now));
    } catch (InvalidWhitelistException e) {
      throw new InvalidWhitelistException("clients would reject the new whitelist, " + e.getMessage()
          + " (" + SecretFiles.masterPublicKey(fqrn) + " in the Secret)");
    }
  }

  /** Replaces only the whitelist entry, so a concurrent change to the other entries is kept. */
  private void store(Request request, byte[] whitelist) {
    client.secrets().inNamespace(request.namespace()).withName(request.keysSecret()).edit(secret -> new SecretBuilder(secret)
        .addToData(SecretFiles.whitelist(request.fqrn()), SecretFiles.encode(whitelist)).build());
  }

  private Secret keysSecret(Request request) throws IOException {
    Secret secret = client.secrets().inNamespace(request.namespace()).withName(request.keysSecret()).get();
    if (secret == null) {
      throw new IOException("there is no Secret " + request.namespace() + "/" + request.keysSecret());
    }
    return secret;
  }

  private static String required(Secret secret, String key) throws IOException {
    return SecretFiles.readString(secret, key).orElseThrow(() -> new IOException(
        "Secret " + secret.getMetadata().getNamespace() + "/" + secret.getMetadata().getName() + " has no " + key));
  }
}
