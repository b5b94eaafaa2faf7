package io.ephemeral.cvmfs.operator.reconcilers;

import io.ephemeral.cvmfs.operator.api.ClientConfigMapRef;
import io.ephemeral.cvmfs.operator.api.CvmfsRepository;
import io.ephemeral.cvmfs.operator.keys.SecretFiles;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Copies the repository's client configuration into a ConfigMap it does not own, such as the
 * one cvmfs-csi mounts as config.d, leaving that ConfigMap's other keys alone.
 *
 * <p>Anyone who may create a CvmfsRepository names the target, so the operator writes only
 * into a ConfigMap that exists and says, by an annotation, which namespaces it takes
 * configurations from; and it never overwrites a key another repository or person wrote,
 * which would redirect every client of that repository. Its own entries carry a first line
 * naming the repository they came from.
 */
final class ClientConfigTarget {

  /** On the target: the namespaces whose repositories may write into it, comma-separated, or *. */
  static final String ACCEPT_ANNOTATION = "cvmfs.ephemeral.io/accept-client-config";

  /** What became of the copy: a condition's status, reason and message. */
  record Result(boolean synced, String reason, String message) {
  }

  private ClientConfigTarget() {
  }

  /** The first line of the .conf this repository writes. */
  static String marker(CvmfsRepository repository) {
    return "# cvmfs-ephemeral: CvmfsRepository " + repository.getMetadata().getNamespace() + "/"
        + repository.getMetadata().getName() + "\n";
  }

  /**
   * Brings {@code FQRN.conf} and {@code FQRN.pub} of the target up to date.
   *
   * @param own the repository's own client-config ConfigMap, the source
   */
  static Result sync(KubernetesClient client, CvmfsRepository repository, ClientConfigMapRef target, ConfigMap own) {
    if (target.name() == null || target.name().isBlank()) {
      // The schema requires it; an object stored without the schema may still lack it.
      return new Result(false, "InvalidSpec", "spec.clientConfigMap names no ConfigMap");
    }
    String repositoryNamespace = repository.getMetadata().getNamespace();
    String namespace = target.namespace() == null ? repositoryNamespace : target.namespace();
    String where = "ConfigMap " + namespace + "/" + target.name();
    String fqrn = repository.fqrn();
    String confKey = fqrn + ".conf";
    String pubKey = SecretFiles.masterPublicKey(fqrn);
    Map<String, String> source = own == null || own.getData() == null ? Map.of() : own.getData();
    if (!source.containsKey(confKey) || !source.containsKey(pubKey)) {
      return new Result(false, "Waiting", "the client configuration is not made yet");
    }
    Map<String, String> wanted = Map.of(confKey, marker(repository) + source.get(confKey), pubKey, source.get(pubKey));

    ConfigMap existing;
    try {
      existing = client.configMaps().inNamespace(namespace).withName(target.name()).get();
    } catch (KubernetesClientException e) {
      return new Result(false, "Unreadable", "cannot read " + where + ": " + FailureSummary.of(e));
    }
    if (existing == null) {
      return new Result(false, "NotFound", "no " + where + "; the operator writes only into one that exists");
    }
    if (!accepts(existing, repositoryNamespace)) {
      return new Result(false, "NotAccepted", where + " does not take client configurations from namespace "
          + repositoryNamespace + ": its annotation " + ACCEPT_ANNOTATION + " must list it, or be *");
    }
    Map<String, String> data = existing.getData() == null ? Map.of() : existing.getData();
    String conf = data.get(confKey);
    boolean ours = conf != null && conf.startsWith(marker(repository));
    if (!ours && (conf != null || data.containsKey(pubKey))) {
      return new Result(false, "KeyTaken", where + " already holds " + (conf != null ? confKey : pubKey)
          + " written by someone else; it is left as it is");
    }
    String done = confKey + " and " + pubKey + " are in " + where;
    if (wanted.entrySet().stream().allMatch(e -> Objects.equals(data.get(e.getKey()), e.getValue()))) {
      return new Result(true, "Synced", done);
    }
    try {
      // A patch of the two keys only: what others keep in the ConfigMap stays.
      client.configMaps().inNamespace(namespace).withName(target.name()).edit(c -> {
        Map<String, String> merged = new HashMap<>(c.getData() == null ? Map.of() : c.getData());
        merged.putAll(wanted);
        c.setData(merged);
        return c;
      });
    } catch (KubernetesClientException e) {
      return new Result(false, "WriteFailed", "cannot write " + where + ": " + FailureSummary.of(e));
    }
    return new Result(true, "Synced", done);
  }

  private static boolean accepts(ConfigMap target, String namespace) {
    Map<String, String> annotations = target.getMetadata().getAnnotations();
    String accepted = annotations == null ? null : annotations.get(ACCEPT_ANNOTATION);
    return accepted != null && Arrays.stream(accepted.split(","))
        .map(String::trim)
        .anyMatch(n -> n.equals("*") || n.equals(namespace));
  }
}
