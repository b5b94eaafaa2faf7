package io.ephemeral.cvmfs.dataplane.cli;

import io.ephemeral.cvmfs.common.publish.Ttl;
import io.ephemeral.cvmfs.dataplane.http.ConnectionLimits;
import io.ephemeral.cvmfs.dataplane.maintenance.MaintenanceSettings;
import io.ephemeral.cvmfs.dataplane.publish.PublicationPolicy;
import io.ephemeral.cvmfs.dataplane.server.DataPlane;
import io.ephemeral.cvmfs.dataplane.server.DataPlaneConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Serves one or more repositories over HTTP, creating them on first start. */
@Command(name = "serve", mixinStandardHelpOptions = true,
    description = "Serve repositories at http://ADDR:PORT/cvmfs/FQRN/ with the publish API, creating them on first start.")
final class ServeCommand implements Callable<Integer> {

  @Mixin
  RepositoryArguments repository;

  @Mixin
  LoggingOptions logging;

  @Mixin
  StorageOptions storage;

  @Option(names = "--repository", split = ",", defaultValue = "${env:CVMFS_EPHEMERAL_REPOSITORIES:-demo.example.org}",
      description = "Repository to serve; repeat or separate with commas (env CVMFS_EPHEMERAL_REPOSITORIES; default ${DEFAULT-VALUE}).")
  List<String> fqrns;

  @Option(names = "--bind", defaultValue = "${env:CVMFS_EPHEMERAL_BIND:-0.0.0.0}",
      description = "Address to listen on (default ${DEFAULT-VALUE}).")
  String bind;

  @Option(names = "--port", defaultValue = "${env:CVMFS_EPHEMERAL_PORT:-8080}",
      description = "HTTP port for objects and the API (default ${DEFAULT-VALUE}).")
  int port;

  @Option(names = "--notification-port", defaultValue = "${env:CVMFS_EPHEMERAL_NOTIFICATION_PORT:-4929}",
      description = "Second port serving only the notification API; 0 picks one, -1 disables it (default ${DEFAULT-VALUE}).")
  int notificationPort;

  @Option(names = "--public-url", defaultValue = "${env:CVMFS_EPHEMERAL_PUBLIC_URL}",
      description = "Base URL clients reach this server at, for the client configuration (default http://HOST:PORT).")
  String publicUrl;

  @Option(names = "--token-file", defaultValue = "${env:CVMFS_EPHEMERAL_TOKEN_FILE}",
      description = "File with the publish token of every served repository (default: keys/FQRN.token, generated).")
  Path tokenFile;

  @Option(names = "--default-ttl", defaultValue = "${env:CVMFS_EPHEMERAL_DEFAULT_TTL:-2h}",
      description = "Lifetime of a publication that names none (default ${DEFAULT-VALUE}).")
  String defaultTtl;

  @Option(names = "--max-ttl", defaultValue = "${env:CVMFS_EPHEMERAL_MAX_TTL:-7d}",
      description = "Longest lifetime a publication may ask for (default ${DEFAULT-VALUE}).")
  String maxTtl;

  @Option(names = "--max-file-size", defaultValue = "${env:CVMFS_EPHEMERAL_MAX_FILE_SIZE:-64GiB}",
      converter = ByteSizeConverter.class, description = "Largest file in a publication (default ${DEFAULT-VALUE}).")
  long maxFileSize;

  @Option(names = "--max-publication-size", defaultValue = "${env:CVMFS_EPHEMERAL_MAX_PUBLICATION_SIZE:-256GiB}",
      converter = ByteSizeConverter.class, description = "Largest publication, in bytes of content (default ${DEFAULT-VALUE}).")
  long maxPublicationSize;

  @Option(names = "--max-entries", defaultValue = "${env:CVMFS_EPHEMERAL_MAX_ENTRIES:-1000000}",
      description = "Most entries in one publication (default ${DEFAULT-VALUE}).")
  long maxEntries;

  @Option(names = "--max-expansion-ratio", defaultValue = "${env:CVMFS_EPHEMERAL_MAX_EXPANSION_RATIO:-1000}",
      description = "Most bytes of content per byte received, against archive bombs (default ${DEFAULT-VALUE}).")
  long maxExpansionRatio;

  @Option(names = "--upload-ttl", defaultValue = "${env:CVMFS_EPHEMERAL_UPLOAD_TTL:-1h}",
      description = "How long a staged upload waits to be claimed (default ${DEFAULT-VALUE}).")
  String uploadTtl;

  @Option(names = "--housekeeping-interval", defaultValue = "${env:CVMFS_EPHEMERAL_HOUSEKEEPING_INTERVAL:-5s}",
      description = "How often expired publications are removed (default ${DEFAULT-VALUE}).")
  String housekeepingInterval;

  @Option(names = "--legacy-api-without-token", defaultValue = "${env:CVMFS_EPHEMERAL_LEGACY_API_WITHOUT_TOKEN:-false}",
      description = "Let the earlier service's endpoints (/repos/…) write without a token (default ${DEFAULT-VALUE}).")
  boolean legacyApiWithoutToken;

  @Option(names = "--gc-grace", paramLabel = "SECONDS", defaultValue = "${env:CVMFS_EPHEMERAL_GC_GRACE}",
      description = "Garbage collection keeps every revision current within this many seconds "
          + "(default: 2 x the manifest TTL, at least 300).")
  Long gcGrace;

  @Option(names = "--gc-interval", defaultValue = "${env:CVMFS_EPHEMERAL_GC_INTERVAL:-10m}",
      description = "Time between automatic garbage collections; 0 disables them (default ${DEFAULT-VALUE}).")
  String gcInterval;

  @Option(names = "--whitelist-file", paramLabel = "PATH", defaultValue = "${env:CVMFS_EPHEMERAL_WHITELIST_FILE}",
      description = "A whitelist signed elsewhere (e.g. a mounted Secret), served as soon as it changes and checks out;"
          + " {fqrn} in PATH stands for the repository name.")
  String whitelistFile;

  @Option(names = "--whitelist-poll-interval", defaultValue = "${env:CVMFS_EPHEMERAL_WHITELIST_POLL_INTERVAL:-5s}",
      description = "How often --whitelist-file is read (default ${DEFAULT-VALUE}).")
  String whitelistPollInterval;

  @Option(names = "--whitelist-min-days", defaultValue = "${env:CVMFS_EPHEMERAL_WHITELIST_MIN_DAYS:-3}",
      description = "/readyz warns (and logs) when a whitelist has fewer days left; it fails only once one expired"
          + " (default ${DEFAULT-VALUE}).")
  int whitelistMinDays;

  @Option(names = "--object-cache", paramLabel = "SIZE", defaultValue = "${env:CVMFS_EPHEMERAL_OBJECT_CACHE:-64MiB}",
      converter = ByteSizeConverter.OrZero.class,
      description = "Memory for small objects (up to 256 KiB each) answered without touching the disk for a second"
          + " after they were read; 0 disables it (default ${DEFAULT-VALUE}).")
  long objectCache;

  @Option(names = "--header-timeout", defaultValue = "${env:CVMFS_EPHEMERAL_HEADER_TIMEOUT:-10s}",
      description = "Time allowed for a request head, from its first byte or the connection's opening; then 408 and"
          + " close; 0 for none (default ${DEFAULT-VALUE}).")
  String headerTimeout;

  @Option(names = "--idle-timeout", defaultValue = "${env:CVMFS_EPHEMERAL_IDLE_TIMEOUT:-60s}",
      description = "Close a connection waiting this long for its next request or for more of a request body;"
          + " never an event stream; 0 for none (default ${DEFAULT-VALUE}).")
  String idleTimeout;

  @Option(names = "--write-timeout", defaultValue = "${env:CVMFS_EPHEMERAL_WRITE_TIMEOUT:-60s}",
      description = "Close a connection whose response has made no progress this long because the client stopped"
          + " reading; a slow client that keeps reading is never cut; 0 for none (default ${DEFAULT-VALUE}).")
  String writeTimeout;

  @Option(names = "--max-connections", defaultValue = "${env:CVMFS_EPHEMERAL_MAX_CONNECTIONS:-4096}",
      description = "Connections open at once on each port; more are closed at accept; 0 for no limit"
          + " (default ${DEFAULT-VALUE}).")
  int maxConnections;

  @Option(names = "--max-connections-per-client", defaultValue = "${env:CVMFS_EPHEMERAL_MAX_CONNECTIONS_PER_CLIENT:-256}",
      description = "Connections open at once from one client address on each port; 0 for no limit"
          + " (default ${DEFAULT-VALUE}).")
  int maxConnectionsPerClient;

  @Option(names = "--shutdown-grace", defaultValue = "${env:CVMFS_EPHEMERAL_SHUTDOWN_GRACE:-25s}",
      description = "On SIGTERM, how long requests in flight (uploads, publishes) may take to finish before they are"
          + " cut; new requests get 503 meanwhile. Keep it below Kubernetes' terminationGracePeriodSeconds (30 by"
          + " default); 0 cuts at once (default ${DEFAULT-VALUE}).")
  String shutdownGrace;

  DataPlaneConfig config() {
    PublicationPolicy policy = new PublicationPolicy(Ttl.parse(defaultTtl), Ttl.parse(maxTtl), maxFileSize,
        maxPublicationSize, maxEntries, maxExpansionRatio, Ttl.parse(uploadTtl));
    return new DataPlaneConfig(repository.data, repository.keys, fqrns, repository.creationOptions(), repository.minRevision, bind, port,
        notificationPort, publicUrl, tokenFile, System.getenv("CVMFS_EPHEMERAL_TOKEN"), policy,
        Ttl.parse(housekeepingInterval), legacyApiWithoutToken, new MaintenanceSettings(
            gcGrace == null ? null : Duration.ofSeconds(gcGrace),
            gcInterval.strip().equals("0") ? Duration.ZERO : Ttl.parse(gcInterval),
            whitelistFile, Ttl.parse(whitelistPollInterval), whitelistMinDays), objectCache,
        new ConnectionLimits(duration(headerTimeout), duration(idleTimeout), maxConnections, maxConnectionsPerClient,
            duration(writeTimeout)),
        duration(shutdownGrace), storage.config());
  }

  private static Duration duration(String text) {
    return text.strip().equals("0") ? Duration.ZERO : Ttl.parse(text);
  }

  @Override
  public Integer call() throws Exception {
    DataPlaneConfig config = config();
    logging.apply();
    return UntilShutdown.serve(() -> DataPlane.start(config), dataPlane -> {
      for (String fqrn : config.repositories()) {
        System.out.println("serving " + dataPlane.publicUrl() + "/cvmfs/" + fqrn
            + " (client configuration at /cvmfs-meta/" + fqrn + ".conf, API at /api/v1/repos/" + fqrn + ")");
      }
    }, DataPlane::shutdown, DataPlane::restartRequested);
  }
}
