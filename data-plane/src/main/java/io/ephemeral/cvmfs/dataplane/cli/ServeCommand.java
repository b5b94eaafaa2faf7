package io.ephemeral.cvmfs.dataplane.cli;

import io.ephemeral.cvmfs.dataplane.http.HttpServer;
import io.ephemeral.cvmfs.dataplane.http.HttpServerConfig;
import io.ephemeral.cvmfs.dataplane.http.WriteAuthorizer;
import io.ephemeral.cvmfs.dataplane.notify.NotificationHub;
import io.ephemeral.cvmfs.dataplane.notify.PublishRoute;
import io.ephemeral.cvmfs.dataplane.notify.RevisionAnnouncer;
import io.ephemeral.cvmfs.dataplane.notify.SubscribeRoute;
import io.ephemeral.cvmfs.dataplane.publish.ObjectPipeline;
import io.ephemeral.cvmfs.dataplane.publish.Publisher;
import io.ephemeral.cvmfs.dataplane.repository.DataLayout;
import io.ephemeral.cvmfs.dataplane.repository.PublishToken;
import io.ephemeral.cvmfs.dataplane.repository.Repository;
import java.io.IOException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Serves one or more repositories over HTTP, creating them on first start. */
@Command(name = "serve", mixinStandardHelpOptions = true,
    description = "Serve repositories at http://ADDR:PORT/cvmfs/FQRN/, creating them on first start.")
final class ServeCommand implements Callable<Integer> {

  @Mixin
  RepositoryArguments repository;

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
      description = "Second port serving only the notification API at /api/v1, which the main port serves too; "
          + "0 picks a free port, -1 disables it (default ${DEFAULT-VALUE}).")
  int notificationPort;

  @Option(names = "--public-url", defaultValue = "${env:CVMFS_EPHEMERAL_PUBLIC_URL}",
      description = "Base URL clients reach this server at, for the client configuration (default http://HOST:PORT).")
  String publicUrl;

  private final CountDownLatch stopRequested = new CountDownLatch(1);
  private final CountDownLatch closed = new CountDownLatch(1);

  @Override
  public Integer call() throws Exception {
    ServeConfig config = new ServeConfig(fqrns, bind, port, notificationPort,
        publicUrl != null ? publicUrl : "http://" + (bind.equals("0.0.0.0") ? "localhost" : bind) + ":" + port);
    Map<String, Repository> open = new LinkedHashMap<>();
    List<Publisher> publishers = new ArrayList<>();
    ObjectPipeline pipeline = ObjectPipeline.forThisMachine();
    NotificationHub hub = new NotificationHub();
    List<HttpServer> servers = new ArrayList<>();
    // On SIGTERM the JVM runs the hook and then halts: the hook does the closing and waits for it.
    Thread hook = new Thread(() -> awaitClosed(), "shutdown");
    try {
      for (String fqrn : config.repositories()) {
        Publisher publisher = Publisher.start(repository.open(fqrn), pipeline);
        publishers.add(publisher);
        open.put(fqrn, publisher.repository());
      }
      RevisionAnnouncer announcer = new RevisionAnnouncer(hub, open.values(), Clock.systemUTC());
      publishers.forEach(publisher -> announcer.follow(publisher.committer()));
      WriteAuthorizer authorizer = publishTokens(repository.layout(), open.keySet());

      HttpServer server = withNotificationApi(
          HttpServer.builder(HttpServerConfig.defaults().withAddress(config.bindAddress(), config.port()))
              .repositories(new LocalRepositories(open, config)),
          hub, announcer, authorizer).build();
      servers.add(server);
      int bound = server.start();
      for (String fqrn : open.keySet()) {
        System.out.println("serving http://" + config.bindAddress() + ":" + bound + "/cvmfs/" + fqrn
            + " (client configuration at /cvmfs-meta/" + fqrn + ".conf)");
      }
      String notificationUrls = "http://" + config.bindAddress() + ":" + bound + "/api/v1";
      if (config.notificationPort() >= 0) {
        HttpServer notifications = withNotificationApi(
            HttpServer.builder(HttpServerConfig.defaults().withAddress(config.bindAddress(), config.notificationPort())),
            hub, announcer, authorizer).build();
        servers.add(notifications);
        notificationUrls += " and http://" + config.bindAddress() + ":" + notifications.start() + "/api/v1";
      }
      System.out.println("notifications at " + notificationUrls + " (publish tokens in "
          + repository.layout().keys().resolve("FQRN.token") + ")");
      System.out.flush();
      Runtime.getRuntime().addShutdownHook(hook);
      stopRequested.await();
    } finally {
      // Subscribers must not reconnect to this server while their streams are being closed.
      servers.forEach(HttpServer::stopListening);
      hub.close();
      servers.forEach(HttpServer::close);
      for (Publisher publisher : publishers) {
        closeQuietly(publisher);
      }
      pipeline.close();
      closed.countDown();
    }
    return 0;
  }

  /** The notification API (spec 10) under /api/v1/notifications/. */
  private static HttpServer.Builder withNotificationApi(HttpServer.Builder builder, NotificationHub hub,
      RevisionAnnouncer announcer, WriteAuthorizer authorizer) {
    return builder
        .route(() -> new SubscribeRoute(hub))
        .route(() -> new PublishRoute(authorizer, announcer));
  }

  /** One token per repository, {@code keys/FQRN.token}, generated on first start. */
  private static WriteAuthorizer publishTokens(DataLayout layout, Collection<String> fqrns) throws IOException {
    Map<String, PublishToken> tokens = new LinkedHashMap<>();
    for (String fqrn : fqrns) {
      tokens.put(fqrn, PublishToken.readOrGenerate(layout.keys().resolve(fqrn + ".token")));
    }
    return new WriteAuthorizer(tokens);
  }

  private void awaitClosed() {
    stopRequested.countDown();
    try {
      closed.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void closeQuietly(Publisher publisher) {
    try {
      publisher.close();
    } catch (IOException e) {
      System.err.println("warning: " + e.getMessage());
    }
  }
}
