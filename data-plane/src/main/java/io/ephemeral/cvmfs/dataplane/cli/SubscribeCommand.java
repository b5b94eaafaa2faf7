package io.ephemeral.cvmfs.dataplane.cli;

import io.ephemeral.cvmfs.common.format.Pem;
import io.ephemeral.cvmfs.common.format.SignedDocument;
import io.ephemeral.cvmfs.dataplane.format.Manifest;
import io.ephemeral.cvmfs.dataplane.notify.NotificationClient;
import io.ephemeral.cvmfs.dataplane.verify.ManifestVerifier;
import io.ephemeral.cvmfs.dataplane.verify.RemoteRepository;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** Follows a repository's notifications and prints each new revision. */
@Command(name = "subscribe", mixinStandardHelpOptions = true,
    description = {"Subscribe to the notifications of a repository and print each new revision as it is announced:",
        "  FQRN revision N root HASH",
        "Reconnects after any failure with exponential backoff and jitter."})
final class SubscribeCommand implements Callable<Integer> {

  @Spec
  CommandSpec spec;

  @Parameters(index = "0", paramLabel = "URL", description = "Notification base URL, e.g. http://HOST:4929/api/v1.")
  URI url;

  @Parameters(index = "1", paramLabel = "FQRN", description = "Repository name.")
  String fqrn;

  @Option(names = "--key", paramLabel = "FQRN.pub",
      description = "Master public key: verify each manifest as the client does, with the certificate and whitelist "
          + "fetched from --repository-url. Without it, manifests are only parsed.")
  Path key;

  @Option(names = "--repository-url", paramLabel = "URL",
      description = "Repository URL for --key (default: http://HOST:PORT/cvmfs/FQRN, host and port taken from URL).")
  URI repositoryUrl;

  @Option(names = "--exit-after-revision", paramLabel = "N",
      description = "Exit once a revision of at least N has been printed.")
  Long exitAfterRevision;

  @Option(names = "--count", paramLabel = "K", description = "Exit after printing K revisions.")
  Integer count;

  @Option(names = "--backoff-initial", paramLabel = "MILLIS", defaultValue = "500",
      description = "Wait before the first reconnection; doubles with each failure (default ${DEFAULT-VALUE}).")
  long initialBackoffMillis;

  @Option(names = "--backoff-max", paramLabel = "MILLIS", defaultValue = "30000",
      description = "Longest wait between reconnections (default ${DEFAULT-VALUE}).")
  long maxBackoffMillis;

  private long lastRevision = -1;
  private int printed;

  @Override
  public Integer call() throws Exception {
    ManifestVerifier verifier = key == null ? null : verifier();
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    NotificationClient client = new NotificationClient(url, fqrn, Duration.ofMillis(initialBackoffMillis),
        Duration.ofMillis(maxBackoffMillis), line -> {
          err.println(line);
          err.flush();
        });
    client.run(message -> {
      Manifest manifest;
      try {
        manifest = verifier == null
            ? Manifest.parse(SignedDocument.parse(message.manifest()))
            : verifier.verify(message.manifest());
        if (!fqrn.equals(manifest.fqrn())) {
          throw new IOException("the manifest is for " + manifest.fqrn());
        }
      } catch (IOException | IllegalArgumentException e) {
        err.println("warning: ignoring a notification: " + e.getMessage());
        err.flush();
        return true;
      }
      return print(out, manifest);
    });
    return 0;
  }

  /** Prints a revision newer than the last one printed; false once the exit condition is met. */
  private boolean print(PrintWriter out, Manifest manifest) {
    if (manifest.revision() <= lastRevision) {
      return true;
    }
    lastRevision = manifest.revision();
    printed++;
    out.println(fqrn + " revision " + manifest.revision() + " root " + manifest.rootCatalog());
    out.flush();
    boolean done = (exitAfterRevision != null && manifest.revision() >= exitAfterRevision)
        || (count != null && printed >= count);
    return !done;
  }

  private ManifestVerifier verifier() throws IOException {
    URI repository = repositoryUrl != null
        ? repositoryUrl
        : URI.create(url.getScheme() + "://" + url.getRawAuthority() + "/cvmfs/" + fqrn);
    return new ManifestVerifier(new RemoteRepository(repository),
        List.of(Pem.readPublicKey(Files.readString(key))), Clock.systemUTC());
  }
}
