package io.ephemeral.cvmfs.dataplane.notify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.ephemeral.cvmfs.common.format.SignedDocument;
import io.ephemeral.cvmfs.dataplane.format.Manifest;
import io.ephemeral.cvmfs.dataplane.http.HttpServer;
import io.ephemeral.cvmfs.dataplane.http.HttpServerConfig;
import io.ephemeral.cvmfs.dataplane.testsupport.ApiRequests;
import io.ephemeral.cvmfs.dataplane.testsupport.NotifyingRepository;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The relay between a writer and subscribers, all over real loopback connections. */
class NotificationRelayTest {

  private static final String FQRN = "relay.example.org";

  @TempDir
  static Path data;

  // The writer: restarted by one test, so each test takes it as it finds it.
  private static NotifyingRepository writer;

  @BeforeAll
  static void startWriter() throws IOException {
    writer = NotifyingRepository.open(data, FQRN);
  }

  @AfterAll
  static void stopWriter() throws IOException {
    writer.close();
  }

  @Test
  void subscriberGetsTheCurrentRevisionThenEachNewOneWithinASecond() throws Exception {
    try (NotificationRelay relay = relayOf(writer.notificationBase());
        EventStreamConnection stream = subscribe(relay)) {
      long current = writer.hub().revision(FQRN).orElseThrow();
      assertEquals(current, revisionOf(stream.readChunk()));

      long published = System.nanoTime();
      long revision = writer.commit();
      assertEquals(revision, revisionOf(stream.readChunk()));
      long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - published);
      assertTrue(millis < 1_000, "relayed " + millis + " ms after the publication");
      assertEquals(revision, relay.hub().revision(FQRN).orElseThrow());
    }
  }

  @Test
  void streamStaysOpenWhileTheWriterRestartsAndCarriesItsNextRevision() throws Exception {
    int port = writer.port();
    try (NotificationRelay relay = relayOf(writer.notificationBase());
        EventStreamConnection stream = subscribe(relay)) {
      long before = revisionOf(stream.readChunk());
      await(() -> relay.upstreamConnected(FQRN), "the relay subscribes to the writer");

      writer.close(); // streams cut, repository closed: the writer's process is gone
      await(() -> !relay.upstreamConnected(FQRN), "the relay notices that the writer is gone");
      Thread.sleep(500); // the relay fails a few attempts meanwhile
      assertNothingArrives(stream); // a timeout, not the end of the stream
      assertEquals(1, relay.hub().subscribers(FQRN));

      writer = NotifyingRepository.open(data, FQRN, port); // the same data, the same address
      assertEquals(before, writer.hub().revision(FQRN).orElseThrow());
      long received = relay.messagesReceived(FQRN);
      await(() -> relay.messagesReceived(FQRN) > received, "the relay subscribes to the new writer");
      long after = writer.commit();
      assertTrue(after > before);
      // The same connection: the new revision next, without the unchanged one in between.
      assertEquals(after, revisionOf(stream.readChunk()));
      assertEquals(1, relay.hub().subscribers(FQRN));
    }
  }

  @Test
  void neverRelaysARevisionAtOrBelowTheLastOneRelayed() throws Exception {
    // Three real manifests of consecutive revisions, then a writer stand-in that announces them
    // in any order: its hub orders by the revision it is told, not by the manifests'.
    byte[][] manifests = new byte[3][];
    for (int i = 0; i < 3; i++) {
      writer.commit();
      manifests[i] = writer.servedManifest();
    }
    long first = revisionOfManifest(manifests[0]);
    NotificationHub upstream = new NotificationHub();
    HttpServer server = HttpServer.builder(new HttpServerConfig("127.0.0.1", 0, Duration.ofSeconds(61),
        Duration.ofDays(3), 1, 1, Duration.ofSeconds(60), 0)).route(() -> new SubscribeRoute(upstream)).build();
    int port = server.start();
    try (NotificationRelay relay = relayOf(URI.create("http://127.0.0.1:" + port + "/api/v1"));
        EventStreamConnection stream = subscribe(relay)) {
      await(() -> relay.upstreamConnected(FQRN), "the relay subscribes");
      Instant time = Instant.parse("2024-10-18T10:01:07Z");
      announce(relay, upstream, ActivityMessage.of(FQRN, manifests[1], time), 1);
      assertEquals(first + 1, revisionOf(stream.readChunk()));
      announce(relay, upstream, ActivityMessage.of(FQRN, manifests[0], time), 2); // older
      announce(relay, upstream, ActivityMessage.of(FQRN, manifests[1], time.plusSeconds(1)), 3); // same, new bytes
      assertNothingArrives(stream);
      announce(relay, upstream, ActivityMessage.of(FQRN, manifests[2], time), 4);
      assertEquals(first + 2, revisionOf(stream.readChunk()));
      assertEquals(first + 2, relay.hub().revision(FQRN).orElseThrow());
      assertEquals(4, relay.messagesReceived(FQRN));
    } finally {
      upstream.close(Duration.ofMillis(10));
      server.close();
    }
  }

  @Test
  void publishingToTheRelayIsRefusedWith403() throws Exception {
    try (NotificationRelay relay = relayOf(writer.notificationBase());
        EventStreamConnection stream = subscribe(relay)) {
      stream.readChunk();
      // A message the writer itself would accept, with the writer's token.
      String message = ActivityMessage.of(FQRN, writer.servedManifest(), Instant.now()).toJson();
      URI publish = URI.create("http://127.0.0.1:" + relay.port() + "/api/v1/notifications/publish");
      HttpResponse<String> response = ApiRequests.send(HttpRequest.newBuilder(publish)
          .POST(HttpRequest.BodyPublishers.ofString(message)), NotifyingRepository.TOKEN);
      assertEquals(403, response.statusCode(), response.body());
      assertEquals("application/json", response.headers().firstValue("Content-Type").orElse(""));
      JsonNode error = ActivityMessage.JSON.readTree(response.body());
      assertEquals("read_only_relay", error.get("error").asText(), response.body());
      assertTrue(error.get("detail").asText().contains("publish to the writer"), response.body());
      assertNothingArrives(stream);

      HttpResponse<String> get = ApiRequests.send(HttpRequest.newBuilder(publish).GET(), null);
      assertEquals(405, get.statusCode(), get.body());
      assertEquals("POST", get.headers().firstValue("Allow").orElse(""));
    }
  }

  @Test
  void readyAndHoldingSubscriptionsOpenWithoutAWriterThenClosesThemOnShutdown() throws Exception {
    int unused;
    try (ServerSocket socket = new ServerSocket(0)) {
      unused = socket.getLocalPort(); // nothing listens there once closed
    }
    NotificationRelay relay = relayOf(URI.create("http://127.0.0.1:" + unused + "/api/v1"));
    try {
      String base = "http://127.0.0.1:" + relay.port();
      HttpResponse<String> health = ApiRequests.send(HttpRequest.newBuilder(URI.create(base + "/healthz")), null);
      assertEquals(200, health.statusCode(), health.body());
      HttpResponse<String> ready = ApiRequests.send(HttpRequest.newBuilder(URI.create(base + "/readyz")), null);
      assertEquals(200, ready.statusCode(), ready.body());
      JsonNode state = ActivityMessage.JSON.readTree(ready.body()).get("repositories").get(FQRN);
      assertTrue(state.get("revision").isNull(), ready.body());
      assertEquals("not subscribed", state.get("upstream").asText(), ready.body());

      EventStreamConnection served = subscribe(relay);
      EventStreamConnection other = EventStreamConnection.subscribe(relay.port(), "unrelayed.example.org");
      assertEquals(200, other.readHead().status());
      assertNothingArrives(served);
      assertNothingArrives(other);
      await(() -> relay.hub().subscribers(FQRN) == 1 && relay.hub().subscribers("unrelayed.example.org") == 1,
          "both subscriptions are held");

      relay.close(); // as on SIGTERM
      assertTrue(served.closedWithoutMoreData());
      assertTrue(other.closedWithoutMoreData());
      served.close();
      other.close();
    } finally {
      relay.close();
    }
  }

  @Test
  void subscribesAfreshWhenTheWriterFallsSilent() throws Exception {
    // A writer stand-in that answers each subscription with one revision, newer each time, and
    // then sends nothing and never closes: as a writer on a lost node looks.
    byte[] first = writer.servedManifest();
    writer.commit();
    byte[] second = writer.servedManifest();
    List<Socket> accepted = new CopyOnWriteArrayList<>();
    try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      Thread acceptor = new Thread(() -> {
        try {
          while (true) {
            Socket socket = silent.accept();
            accepted.add(socket);
            socket.getInputStream().read(new byte[4096]); // the subscription
            answer(socket, accepted.size() == 1 ? first : second);
          }
        } catch (IOException closed) {
          // the test is over
        }
      });
      acceptor.setDaemon(true);
      acceptor.start();
      try (NotificationRelay relay = NotificationRelay.start(
          RelayConfig.local(URI.create("http://127.0.0.1:" + silent.getLocalPort() + "/api/v1"), List.of(FQRN))
              .withBackoff(Duration.ofMillis(20), Duration.ofMillis(100)).withUpstreamIdle(Duration.ofMillis(300)));
          EventStreamConnection stream = subscribe(relay)) {
        assertEquals(revisionOfManifest(first), revisionOf(stream.readChunk()));
        assertEquals(revisionOfManifest(second), revisionOf(stream.readChunk()));
        // The silent connection was closed, not left behind: the rest of the subscription, then its end.
        Socket abandoned = accepted.get(0);
        abandoned.setSoTimeout(2_000);
        byte[] rest = new byte[4096];
        while (abandoned.getInputStream().read(rest) != -1) {
          // a timeout fails the test
        }
      } finally {
        for (Socket socket : accepted) {
          socket.close();
        }
      }
    }
  }

  @Test
  void findsTheWriterBackWithinAboutASecondThoughItsAddressAnsweredNothingWhileItWasAway() throws Exception {
    // While no pod backs the writer's Service, a connection attempt is often not refused but
    // unanswered: the kernel rate-limits the ICMP errors of kube-proxy's REJECT, and the address
    // of a pod just gone answers nothing. Here the stand-in writer's accept queue is full, on
    // which Linux drops SYNs just the same.
    byte[] first = writer.servedManifest();
    writer.commit();
    byte[] second = writer.servedManifest();
    List<Socket> sockets = new ArrayList<>();
    try (ServerSocket standIn = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        NotificationRelay relay = NotificationRelay.start(
            RelayConfig.local(URI.create("http://127.0.0.1:" + standIn.getLocalPort() + "/api/v1"), List.of(FQRN))
                .withBackoff(Duration.ofMillis(20), Duration.ofMillis(100)));
        EventStreamConnection stream = subscribe(relay)) {
      standIn.setSoTimeout(10_000);
      Socket subscription = standIn.accept();
      sockets.add(subscription);
      subscription.getInputStream().read(new byte[4096]);
      answer(subscription, first);
      assertEquals(revisionOfManifest(first), revisionOf(stream.readChunk()));

      sockets.addAll(fillAcceptQueue(standIn));
      subscription.close(); // the writer is gone; the relay's attempts from here on go unanswered
      await(() -> !relay.upstreamConnected(FQRN), "the relay notices that the writer is gone");
      // Linux resends an unanswered SYN at 1, 3, 7, 15 s (since 6.5: 1, 2, 3, 4, 5, 7, 11 s): the
      // attempt begun when the writer went away sends nothing between 7 s and 10 s, where a
      // connect timeout of 10 s would end it.
      Thread.sleep(7_300);

      long back = System.nanoTime();
      for (Socket queued : List.copyOf(sockets)) {
        queued.close(); // the queue drains: the next SYN is answered
      }
      Socket resubscription;
      do {
        resubscription = standIn.accept();
        sockets.add(resubscription);
      } while (resubscription.getInputStream().read(new byte[4096]) == -1); // one of the closed fillers
      answer(resubscription, second);
      assertEquals(revisionOfManifest(second), revisionOf(stream.readChunk()));
      long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - back);
      assertTrue(millis < 2_500, "relayed " + millis + " ms after the writer was back");
    } finally {
      for (Socket socket : sockets) {
        socket.close();
      }
    }
  }

  /** Connects to {@code server} until its accept queue is full: a further attempt goes unanswered. */
  private static List<Socket> fillAcceptQueue(ServerSocket server) throws IOException {
    List<Socket> queued = new ArrayList<>();
    while (true) {
      Socket socket = new Socket();
      try {
        socket.connect(server.getLocalSocketAddress(), 200);
      } catch (SocketTimeoutException full) {
        socket.close();
        return queued;
      }
      queued.add(socket);
      assertTrue(queued.size() < 64, "the accept queue of a listen backlog of 1 never fills");
    }
  }

  /** Answers a subscription as the writer does, with the announcement of {@code manifest}, and leaves the stream open. */
  private static void answer(Socket socket, byte[] manifest) throws IOException {
    OutputStream out = socket.getOutputStream();
    out.write(("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n")
        .getBytes(StandardCharsets.US_ASCII));
    out.write(Announcement.of(ActivityMessage.of(FQRN, manifest, Instant.now()), revisionOfManifest(manifest)).chunk());
    out.flush();
  }

  private static NotificationRelay relayOf(URI upstream) throws IOException {
    return NotificationRelay.start(RelayConfig.local(upstream, List.of(FQRN))
        .withBackoff(Duration.ofMillis(20), Duration.ofMillis(100)));
  }

  /** Subscribes to {@link #FQRN} at the relay, as the stock client does, and reads the response head. */
  private static EventStreamConnection subscribe(NotificationRelay relay) throws IOException {
    EventStreamConnection stream = EventStreamConnection.subscribe(relay.port(), FQRN);
    EventStreamConnection.Head head = stream.readHead();
    assertEquals(200, head.status());
    assertEquals("text/event-stream", head.header("Content-Type"));
    return stream;
  }

  /** Announces on the stand-in writer and waits until the relay has read the message. */
  private static void announce(NotificationRelay relay, NotificationHub upstream, ActivityMessage message,
      long revision) throws InterruptedException {
    long received = relay.messagesReceived(FQRN);
    assertEquals(NotificationHub.Outcome.ANNOUNCED, upstream.announce(message, revision));
    await(() -> relay.messagesReceived(FQRN) > received, "the relay reads announcement " + revision);
  }

  private static void await(BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (!condition.getAsBoolean()) {
      assertTrue(System.nanoTime() < deadline, "timed out waiting until " + what);
      Thread.sleep(5);
    }
  }

  private static void assertNothingArrives(EventStreamConnection stream) throws IOException {
    stream.setTimeout(200);
    assertThrows(SocketTimeoutException.class, stream::readChunk);
    stream.setTimeout(5_000);
  }

  private static long revisionOf(String event) throws IOException {
    assertTrue(event.startsWith("data: {") && event.endsWith("}\n\n"), event);
    JsonNode message = ActivityMessage.JSON.readTree(event.substring("data: ".length()).strip());
    assertEquals(FQRN, message.get("repository").asText());
    return revisionOfManifest(Base64.getDecoder().decode(message.get("manifest").asText()));
  }

  private static long revisionOfManifest(byte[] manifest) {
    return Manifest.parse(SignedDocument.parse(manifest)).revision();
  }
}
