package io.ephemeral.cvmfs.dataplane.notify;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
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
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The notification API over real loopback connections, against a repository that commits. */
class NotificationApiTest {

  private static final String FQRN = "notify.example.org";
  private static final String EVENT = "data: \\{\"version\":1,\"timestamp\":\"\\d{1,2} [A-Z][a-z]{2} \\d{4} \\d{2}:\\d{2}:\\d{2}\","
      + "\"type\":\"activity\",\"repository\":\"" + FQRN.replace(".", "\\.") + "\",\"manifest\":\"[A-Za-z0-9+/]+=*\"}\n\n";

  @TempDir
  static Path data;

  private static NotifyingRepository repository;
  private static volatile long committedAt;

  @BeforeAll
  static void start() throws IOException {
    repository = NotifyingRepository.open(data, FQRN, () -> committedAt = System.nanoTime());
  }

  @AfterAll
  static void stop() throws IOException {
    repository.close();
  }

  @Test
  void subscriptionGetsTheCurrentRevisionThenEachCommitAsOneChunk() throws Exception {
    try (EventStreamConnection stream = EventStreamConnection.subscribe(repository.port(), FQRN)) {
      EventStreamConnection.Head head = stream.readHead();
      assertEquals(200, head.status());
      assertEquals("text/event-stream", head.header("Content-Type"));
      assertEquals("no-cache", head.header("Cache-Control"));
      assertEquals("chunked", head.header("Transfer-Encoding"));
      byte[] served = repository.servedManifest();
      Manifest manifest = Manifest.parse(SignedDocument.parse(served));
      String expected = "data: " + ActivityMessage.of(FQRN, served, Instant.ofEpochSecond(manifest.timestamp())).toJson()
          + "\n\n";
      assertEquals(expected, stream.readChunk());
      assertTrue(expected.matches(EVENT), expected);

      Thread.sleep(2 * NotifyingRepository.IDLE_TIMEOUT.toMillis()); // a quiet stream outlives the idle timeout
      long revision = repository.commit();
      String event = stream.readChunk();
      long delivered = System.nanoTime();
      assertTrue(event.matches(EVENT), event);
      assertEquals(revision, revisionOf(event));
      assertArrayEquals(repository.servedManifest(), manifestOf(event));
      long millis = TimeUnit.NANOSECONDS.toMillis(delivered - committedAt);
      assertTrue(millis < 50, "delivered " + millis + " ms after the manifest swap");
    }
  }

  @Test
  void everySubscriberGetsEveryCommit() throws Exception {
    List<EventStreamConnection> streams = new ArrayList<>();
    try {
      for (int i = 0; i < 50; i++) {
        EventStreamConnection stream = EventStreamConnection.subscribe(repository.port(), FQRN);
        streams.add(stream);
        assertEquals(200, stream.readHead().status());
        stream.readChunk();
      }
      long first = repository.commit();
      for (EventStreamConnection stream : streams) {
        assertEquals(first, revisionOf(stream.readChunk()));
      }
      long second = repository.commit();
      for (EventStreamConnection stream : streams) {
        assertEquals(second, revisionOf(stream.readChunk()));
      }
    } finally {
      for (EventStreamConnection stream : streams) {
        stream.close();
      }
    }
  }

  @Test
  void reconnectingSubscriberCatchesUpAtOnce() throws Exception {
    try (EventStreamConnection stream = EventStreamConnection.subscribe(repository.port(), FQRN)) {
      stream.readHead();
      stream.readChunk();
    }
    repository.commit();
    long missed = repository.commit();
    try (EventStreamConnection stream = EventStreamConnection.subscribe(repository.port(), FQRN)) {
      stream.readHead();
      assertEquals(missed, revisionOf(stream.readChunk()));
    }
  }

  @Test
  void subscriptionToAnUnknownRepositoryIsHeldOpen() throws Exception {
    try (EventStreamConnection stream = EventStreamConnection.subscribe(repository.port(), "later.example.org")) {
      assertEquals(200, stream.readHead().status());
      stream.setTimeout(200);
      assertThrows(SocketTimeoutException.class, stream::readChunk);
      stream.setTimeout(5_000);
      repository.hub().announce(ActivityMessage.of("later.example.org", new byte[] {1, 2, 3}, Instant.now()), 1);
      assertEquals(1, repository.hub().subscribers("later.example.org"));
      assertTrue(stream.readChunk().contains("\"repository\":\"later.example.org\""));
    }
  }

  @Test
  void subscriptionByPostIsAcceptedToo() throws Exception {
    try (EventStreamConnection stream = EventStreamConnection.connect(repository.port())) {
      stream.send(EventStreamConnection.subscription(repository.port(), "{\"version\":1,\"repository\":\"" + FQRN + "\"}")
          .replaceFirst("GET", "POST"));
      assertEquals(200, stream.readHead().status());
      assertTrue(stream.readChunk().matches(EVENT));
    }
  }

  @Test
  void malformedSubscriptionsAreRefusedWith400() throws Exception {
    for (String body : List.of("", "{\"version\":1}", "{\"version\":1,\"repository\":\"Not A Name\"}",
        "{\"version\":3,\"repository\":\"" + FQRN + "\"}", "not json")) {
      try (EventStreamConnection connection = EventStreamConnection.connect(repository.port())) {
        connection.send(EventStreamConnection.subscription(repository.port(), body));
        EventStreamConnection.Head head = connection.readHead();
        assertEquals(400, head.status(), body);
        assertEquals("application/json", head.header("Content-Type"));
        JsonNode error = ActivityMessage.JSON.readTree(connection.readBody(head));
        assertTrue(error.get("error").isTextual() && error.get("detail").isTextual(), error.toString());
      }
    }
  }

  @Test
  void publishNeedsTheRepositoryToken() throws Exception {
    try (EventStreamConnection stream = subscribed()) {
      String message = ActivityMessage.of(FQRN, repository.servedManifest(), Instant.now()).toJson();
      assertError(401, "missing_token", publish(message, null));
      assertError(403, "invalid_token", publish(message, "wrong-token"));
      String other = ActivityMessage.of("other.example.org", repository.servedManifest(), Instant.now()).toJson();
      assertError(404, "unknown_repository", publish(other, NotifyingRepository.TOKEN));
      assertNothingArrives(stream);
    }
  }

  @Test
  void publishRefusesMessagesClientsWouldReject() throws Exception {
    byte[] old = repository.servedManifest();
    repository.commit();
    try (EventStreamConnection stream = subscribed()) {
      long current = repository.hub().revision(FQRN).orElseThrow();
      assertError(400, "malformed_json", publish("{\"version\":1,", NotifyingRepository.TOKEN));
      assertError(400, "unsupported_version", publish(ActivityMessage.of(FQRN, old, Instant.now()).toJson()
          .replace("\"version\":1", "\"version\":2"), NotifyingRepository.TOKEN));
      byte[] tampered = repository.servedManifest();
      tampered[tampered.length - 1] ^= 1;
      assertError(422, "invalid_manifest", publish(ActivityMessage.of(FQRN, tampered, Instant.now()).toJson(),
          NotifyingRepository.TOKEN));
      assertError(422, "invalid_manifest", publish(ActivityMessage.of(FQRN, "not a manifest".getBytes(), Instant.now())
          .toJson(), NotifyingRepository.TOKEN));
      assertError(409, "stale_revision", publish(ActivityMessage.of(FQRN, old, Instant.now()).toJson(),
          NotifyingRepository.TOKEN));
      assertNothingArrives(stream);
      assertEquals(current, repository.hub().revision(FQRN).orElseThrow());
    }
  }

  @Test
  void publishAcceptsWhatSwissknifeSendsAndFansItOut() throws Exception {
    try (EventStreamConnection stream = subscribed()) {
      byte[] manifest = repository.servedManifest();
      String body = "{ \"version\" : 1, \"timestamp\" : \"18 Oct 2024 10:01:07\", \"type\" : \"activity\", "
          + "\"repository\" : \"" + FQRN + "\", \"manifest\" : \"" + Base64.getEncoder().encodeToString(manifest) + "\"}";
      HttpResponse<String> response = ApiRequests.send(HttpRequest.newBuilder(publishUri())
          .POST(HttpRequest.BodyPublishers.ofString(body))
          .header("Content-Type", "application/x-www-form-urlencoded")
          .header("User-Agent", "cvmfs/2.11.5"), NotifyingRepository.TOKEN);
      assertEquals(200, response.statusCode(), response.body());
      assertEquals("{\"status\":\"ok\"}\n", response.body());
      // Forwarded as one compact line, whatever the spacing of the post.
      String event = stream.readChunk();
      assertEquals("data: " + new ActivityMessage(1, "18 Oct 2024 10:01:07", FQRN, manifest).toJson() + "\n\n", event);
      // The same message again is accepted and not sent twice.
      assertEquals(200, publish(body, NotifyingRepository.TOKEN).statusCode());
      assertNothingArrives(stream);
    }
  }

  @Test
  void slowSubscriberDelaysNobodyAndGetsTheNewestRevision() throws Exception {
    String fqrn = "slow.example.org";
    NotificationHub hub = repository.hub();
    try (EventStreamConnection stuck = EventStreamConnection.connectWithTinyBuffer(repository.port())) {
      stuck.send(EventStreamConnection.subscription(repository.port(), "{\"version\":1,\"repository\":\"" + fqrn + "\"}"));
      ExecutorService readers = Executors.newCachedThreadPool();
      List<EventStreamConnection> healthy = new ArrayList<>();
      try {
        List<Future<Long>> lastSeen = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
          EventStreamConnection stream = EventStreamConnection.subscribe(repository.port(), fqrn);
          healthy.add(stream);
          assertEquals(200, stream.readHead().status());
          lastSeen.add(readers.submit(() -> readUntil(stream, 2_000)));
        }
        while (hub.subscribers(fqrn) < 4) {
          Thread.sleep(5);
        }
        // 2,000 events of 4 KiB: far more than the kernel buffers of the stuck connection hold.
        long start = System.nanoTime();
        for (int revision = 1; revision <= 2_000; revision++) {
          hub.announce(ActivityMessage.of(fqrn, syntheticManifest(revision), Instant.now()), revision);
        }
        long announcing = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertTrue(announcing < 2_000, "2,000 announcements took " + announcing + " ms");
        for (Future<Long> last : lastSeen) {
          assertEquals(2_000, last.get(10, TimeUnit.SECONDS));
        }
        // The stuck subscriber missed most, but what it gets ends with the newest revision.
        assertEquals(200, stuck.readHead().status());
        stuck.setTimeout(500);
        List<Long> received = new ArrayList<>();
        try {
          while (true) {
            received.add(revisionOf(stuck.readChunk()));
          }
        } catch (SocketTimeoutException drained) {
          // nothing more is coming
        }
        assertEquals(2_000, received.get(received.size() - 1));
        assertTrue(received.size() < 2_000, "coalesced to " + received.size() + " events");
        for (int i = 1; i < received.size(); i++) {
          assertTrue(received.get(i) > received.get(i - 1), "revisions in order: " + received);
        }
      } finally {
        readers.shutdownNow();
        for (EventStreamConnection stream : healthy) {
          stream.close();
        }
      }
    }
  }

  @Test
  void shutdownClosesStreamsWithoutTheTerminatingChunk() throws Exception {
    NotificationHub hub = new NotificationHub();
    HttpServer server = HttpServer.builder(new HttpServerConfig("127.0.0.1", 0, Duration.ofSeconds(61),
        Duration.ofDays(3), 1, 1, Duration.ofSeconds(60), 0)).route(() -> new SubscribeRoute(hub)).build();
    int port = server.start();
    try {
      List<EventStreamConnection> streams = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        EventStreamConnection stream = EventStreamConnection.subscribe(port, FQRN);
        streams.add(stream);
        assertEquals(200, stream.readHead().status());
      }
      while (hub.subscribers(FQRN) < 3) {
        Thread.sleep(5);
      }
      hub.close(Duration.ofMillis(30));
      for (EventStreamConnection stream : streams) {
        assertTrue(stream.closedWithoutMoreData());
        stream.close();
      }
      try (EventStreamConnection late = EventStreamConnection.subscribe(port, FQRN)) {
        assertEquals(200, late.readHead().status());
        assertTrue(late.closedWithoutMoreData());
      }
    } finally {
      server.close();
    }
  }

  /** Reads events until {@code revision}; returns the last revision seen. */
  private static long readUntil(EventStreamConnection stream, long revision) throws IOException {
    long last;
    do {
      last = revisionOf(stream.readChunk());
    } while (last < revision);
    return last;
  }

  private static EventStreamConnection subscribed() throws IOException {
    EventStreamConnection stream = EventStreamConnection.subscribe(repository.port(), FQRN);
    assertEquals(200, stream.readHead().status());
    stream.readChunk();
    return stream;
  }

  private static void assertNothingArrives(EventStreamConnection stream) throws IOException {
    stream.setTimeout(200);
    assertThrows(SocketTimeoutException.class, stream::readChunk);
    stream.setTimeout(5_000);
  }

  private static URI publishUri() {
    return URI.create(repository.notificationBase() + "/notifications/publish");
  }

  private static HttpResponse<String> publish(String body, String token) throws Exception {
    return ApiRequests.send(HttpRequest.newBuilder(publishUri()).POST(HttpRequest.BodyPublishers.ofString(body)), token);
  }

  private static void assertError(int status, String code, HttpResponse<String> response) throws IOException {
    assertEquals(status, response.statusCode(), response.body());
    assertEquals("application/json", response.headers().firstValue("Content-Type").orElse(""));
    JsonNode error = ActivityMessage.JSON.readTree(response.body());
    assertEquals(code, error.get("error").asText(), response.body());
    assertTrue(error.get("detail").isTextual(), response.body());
  }

  private static byte[] manifestOf(String event) throws IOException {
    String json = event.substring("data: ".length()).strip();
    return Base64.getDecoder().decode(ActivityMessage.JSON.readTree(json).get("manifest").asText());
  }

  /** 3,000 bytes that name a revision; the hub forwards them without looking inside. */
  private static byte[] syntheticManifest(long revision) {
    return String.format("synthetic %d\n%s", revision, "x".repeat(2_980)).getBytes(StandardCharsets.US_ASCII);
  }

  /** The revision of an event: from its manifest's S line, or from a synthetic manifest. */
  private static long revisionOf(String event) throws IOException {
    byte[] manifest = manifestOf(event);
    String text = new String(manifest, StandardCharsets.ISO_8859_1);
    if (text.startsWith("synthetic ")) {
      return Long.parseLong(text.substring("synthetic ".length(), text.indexOf('\n')));
    }
    return Manifest.parse(SignedDocument.parse(manifest)).revision();
  }
}
