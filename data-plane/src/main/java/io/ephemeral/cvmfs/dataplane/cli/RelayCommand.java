package io.ephemeral.cvmfs.dataplane.cli;

import io.ephemeral.cvmfs.common.publish.Ttl;
import io.ephemeral.cvmfs.dataplane.notify.NotificationRelay;
import io.ephemeral.cvmfs.dataplane.notify.RelayConfig;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** Repeats the writer's notifications to clients, and keeps their streams open while the writer restarts. */
@Command(name = "relay", mixinStandardHelpOptions = true,
    description = {"Serve the notification API of the writer at --upstream, for clients to subscribe to:",
        "every revision the writer announces is passed on, and streams stay open while the writer restarts.",
        "Run two or more behind one address so that it survives their own restarts too. Publishing is refused."})
final class RelayCommand implements Callable<Integer> {

  @Spec
  CommandSpec spec;

  @Mixin
  LoggingOptions logging;

  @Option(names = "--upstream", paramLabel = "URL", defaultValue = "${env:CVMFS_EPHEMERAL_UPSTREAM}",
      description = "Notification base URL of the writer, e.g. http://writer:4929/api/v1 (env CVMFS_EPHEMERAL_UPSTREAM; required).")
  String upstream;

  @Option(names = "--repository", split = ",", defaultValue = "${env:CVMFS_EPHEMERAL_REPOSITORIES:-demo.example.org}",
      description = "Repository to relay; repeat or separate with commas (env CVMFS_EPHEMERAL_REPOSITORIES; default ${DEFAULT-VALUE}).")
  List<String> fqrns;

  @Option(names = "--bind", defaultValue = "${env:CVMFS_EPHEMERAL_BIND:-0.0.0.0}",
      description = "Address to listen on (default ${DEFAULT-VALUE}).")
  String bind;

  @Option(names = "--port", defaultValue = "${env:CVMFS_EPHEMERAL_NOTIFICATION_PORT:-4929}",
      description = "Port of the notification API, /healthz, /readyz and /metrics; 0 picks one (env "
          + "CVMFS_EPHEMERAL_NOTIFICATION_PORT; default ${DEFAULT-VALUE}).")
  int port;

  @Option(names = "--backoff-initial", paramLabel = "MILLIS", defaultValue = "${env:CVMFS_EPHEMERAL_BACKOFF_INITIAL:-200}",
      description = "Wait before subscribing to the writer again after a failure; doubles with each failure, with "
          + "jitter (default ${DEFAULT-VALUE}).")
  long initialBackoffMillis;

  @Option(names = "--backoff-max", paramLabel = "MILLIS", defaultValue = "${env:CVMFS_EPHEMERAL_BACKOFF_MAX:-5000}",
      description = "Longest wait between subscriptions to the writer (default ${DEFAULT-VALUE}).")
  long maxBackoffMillis;

  @Option(names = "--upstream-connect-timeout", paramLabel = "MILLIS",
      defaultValue = "${env:CVMFS_EPHEMERAL_UPSTREAM_CONNECT_TIMEOUT:-1000}",
      description = "Give up a connection attempt to the writer after this long and try again after the backoff: a "
          + "writer that is away often answers nothing, and the kernel resends a SYN only seconds later (default "
          + "${DEFAULT-VALUE}).")
  long upstreamConnectTimeoutMillis;

  @Option(names = "--upstream-idle", defaultValue = "${env:CVMFS_EPHEMERAL_UPSTREAM_IDLE:-5m}",
      description = "Subscribe to the writer afresh after this long without a message, which finds a connection to a "
          + "writer that vanished without closing it; 0 never does (default ${DEFAULT-VALUE}).")
  String upstreamIdle;


  RelayConfig config() {
    if (upstream == null || upstream.isBlank()) {
      throw new ParameterException(spec.commandLine(), "--upstream (or CVMFS_EPHEMERAL_UPSTREAM) is required");
    }
    try {
      return new RelayConfig(URI.create(upstream.strip()), fqrns, bind, port, Duration.ofMillis(initialBackoffMillis),
          Duration.ofMillis(maxBackoffMillis), Duration.ofMillis(upstreamConnectTimeoutMillis),
          upstreamIdle.strip().equals("0") ? null : Ttl.parse(upstreamIdle));
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage(), e);
    }
  }

  @Override
  public Integer call() throws Exception {
    RelayConfig config = config();
    logging.apply();
    return UntilShutdown.serve(() -> NotificationRelay.start(config), relay -> System.out.println(
        "relaying " + String.join(", ", config.repositories()) + " from " + config.upstream()
            + " at http://" + config.bindAddress() + ":" + relay.port() + "/api/v1"));
  }
}
