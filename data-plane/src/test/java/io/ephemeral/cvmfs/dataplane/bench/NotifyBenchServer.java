package io.ephemeral.cvmfs.dataplane.bench;

import io.ephemeral.cvmfs.dataplane.http.ConnectionLimits;
import io.ephemeral.cvmfs.dataplane.http.HttpServer;
import io.ephemeral.cvmfs.dataplane.http.HttpServerConfig;
import io.ephemeral.cvmfs.dataplane.notify.NotificationHub;
import io.ephemeral.cvmfs.dataplane.notify.RevisionAnnouncer;
import io.ephemeral.cvmfs.dataplane.notify.SubscribeRoute;
import io.ephemeral.cvmfs.dataplane.publish.ObjectPipeline;
import io.ephemeral.cvmfs.dataplane.publish.Publisher;
import io.ephemeral.cvmfs.dataplane.repository.DataLayout;
import io.ephemeral.cvmfs.dataplane.repository.Repository;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The data plane side of the notification benchmark, run in its own JVM so that its heap is
 * measured alone: a repository with its committer, announcer and notification server wired as
 * {@code serve} wires them. Driven line by line on stdin:
 *
 * <pre>
 *   commit       prints "committed REVISION MICROS": the wall clock when the manifest was swapped in
 *   heap         prints "heap BYTES": heap in use after a full collection
 *   subscribers  prints "subscribers COUNT"
 *   quit
 * </pre>
 *
 * Prints "port PORT" once listening.
 */
public final class NotifyBenchServer {

  private NotifyBenchServer() {}

  /** More subscriptions than any count the benchmark measures. */
  private static final int MAX_SUBSCRIBERS = 65_536;

  public static void main(String[] args) throws Exception {
    Path data = Path.of(args[0]);
    String fqrn = args[1];
    AtomicLong swappedAt = new AtomicLong();
    try (ObjectPipeline pipeline = new ObjectPipeline(1, 16 << 20);
        Publisher publisher = Publisher.start(Repository.at(new DataLayout(data), fqrn).open(), pipeline)) {
      // Registered before the announcer, so it reads the clock first.
      publisher.committer().onRevision(head -> swappedAt.set(NotifyLatencyBench.epochMicros(Instant.now())));
      NotificationHub hub = new NotificationHub();
      new RevisionAnnouncer(hub, List.of(publisher.repository()), Clock.systemUTC()).follow(publisher.committer());
      // Every subscriber connects from 127.0.0.1 here, where a real fleet comes from thousands of
      // addresses: the per-address and per-server caps are raised to the count measured.
      ConnectionLimits defaults = ConnectionLimits.DEFAULT;
      ConnectionLimits oneAddress = new ConnectionLimits(defaults.headerTimeout(), defaults.idleTimeout(),
          MAX_SUBSCRIBERS, MAX_SUBSCRIBERS, defaults.writeTimeout());
      HttpServer server = HttpServer.builder(HttpServerConfig.defaults().withAddress("127.0.0.1", 0)
              .withConnectionLimits(oneAddress))
          .route(() -> new SubscribeRoute(hub))
          .build();
      System.out.println("port " + server.start());
      BufferedReader commands = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
      int publications = 0;
      for (String command; (command = commands.readLine()) != null && !command.equals("quit"); ) {
        switch (command) {
          case "commit" -> {
            long revision = publisher.publish("p" + ++publications, visitor -> { }, null, false).revision();
            System.out.println("committed " + revision + " " + swappedAt.get());
          }
          case "heap" -> System.out.println("heap " + heapAfterCollection());
          case "subscribers" -> System.out.println("subscribers " + hub.subscribers(fqrn));
          default -> System.out.println("unknown command " + command);
        }
        System.out.flush();
      }
      hub.close();
      server.close();
    }
  }

  private static long heapAfterCollection() throws InterruptedException {
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(100);
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }
}
