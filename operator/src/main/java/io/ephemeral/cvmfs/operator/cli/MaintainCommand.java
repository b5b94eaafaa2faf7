package io.ephemeral.cvmfs.operator.cli;

import io.ephemeral.cvmfs.common.format.HashAlgorithm;
import io.ephemeral.cvmfs.operator.dataplane.DataPlaneClient;
import io.ephemeral.cvmfs.operator.maintenance.RepositoryMaintenance;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.TypeConversionException;

/** What a repository's maintenance CronJob runs; see {@link RepositoryMaintenance}. */
@Command(name = "maintain", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Re-sign a repository's whitelist and collect its garbage, as its maintenance CronJob does.",
        "Stores the new whitelist in the keys Secret, hands it to the running data plane, runs garbage collection "
            + "and prints one JSON line {fqrn, whitelistExpiresAt, gc}. Every step is tried; the exit code is 1 if "
            + "re-signing, storing or collecting failed. The publish token comes from env CVMFS_EPHEMERAL_TOKEN."})
final class MaintainCommand implements Callable<Integer> {

  @Option(names = "--namespace", required = true, paramLabel = "NAMESPACE", description = "Namespace of the repository.")
  String namespace;

  @Option(names = "--keys-secret", required = true, paramLabel = "NAME",
      description = "Secret with FQRN.crt, FQRN.pub and FQRN.cvmfswhitelist.")
  String keysSecret;

  @Option(names = "--fqrn", required = true, paramLabel = "FQRN", description = "Repository name.")
  String fqrn;

  @Option(names = "--hash", defaultValue = "sha1", paramLabel = "ALGORITHM", converter = HashConverter.class,
      description = "Hash algorithm of the whitelist: sha1, rmd160 or shake128 (default ${DEFAULT-VALUE}).")
  HashAlgorithm hash;

  @Option(names = "--data-plane-url", required = true, paramLabel = "URL", description = "Base URL of the data plane.")
  URI dataPlaneUrl;

  @Option(names = "--master-key", required = true, paramLabel = "FILE", description = "Master private key (PEM).")
  Path masterKey;

  @Option(names = "--validity-days", defaultValue = "30", paramLabel = "DAYS",
      description = "Days the new whitelist is valid (default ${DEFAULT-VALUE}).")
  int validityDays;

  @Spec
  CommandSpec spec;

  @Override
  public Integer call() {
    if (validityDays < 1) {
      throw new ParameterException(spec.commandLine(), "--validity-days must be at least 1");
    }
    RepositoryMaintenance.Request request = new RepositoryMaintenance.Request(namespace, keysSecret, fqrn, hash,
        dataPlaneUrl, masterKey, Duration.ofDays(validityDays), System.getenv("CVMFS_EPHEMERAL_TOKEN"));
    RepositoryMaintenance.Result result;
    try (KubernetesClient client = new KubernetesClientBuilder().build()) {
      // Collection of a large repository takes a while; the connection itself is quick or not at all.
      DataPlaneClient dataPlane = new DataPlaneClient(Duration.ofSeconds(10), Duration.ofMinutes(30));
      result = new RepositoryMaintenance(client, dataPlane, Clock.systemUTC()).run(request);
    }
    PrintWriter err = spec.commandLine().getErr();
    result.warnings().forEach(warning -> err.println("warning: " + warning));
    spec.commandLine().getOut().println(result.summary());
    if (!result.succeeded()) {
      err.println("error: " + String.join("; ", result.errors()));
      return 1;
    }
    return 0;
  }

  static final class HashConverter implements ITypeConverter<HashAlgorithm> {
    @Override
    public HashAlgorithm convert(String value) {
      try {
        return HashAlgorithm.fromConfigName(value);
      } catch (IllegalArgumentException e) {
        throw new TypeConversionException(e.getMessage());
      }
    }
  }
}
