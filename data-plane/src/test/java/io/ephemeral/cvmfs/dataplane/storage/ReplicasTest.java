package io.ephemeral.cvmfs.dataplane.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.ephemeral.cvmfs.common.format.Pem;
import io.ephemeral.cvmfs.common.format.SignedDocument;
import io.ephemeral.cvmfs.dataplane.format.Manifest;
import io.ephemeral.cvmfs.dataplane.notify.ActivityMessage;
import io.ephemeral.cvmfs.dataplane.notify.NotificationClient;
import io.ephemeral.cvmfs.dataplane.server.DataPlane;
import io.ephemeral.cvmfs.dataplane.server.DataPlaneConfig;
import io.ephemeral.cvmfs.dataplane.testsupport.CliRunner;
import io.ephemeral.cvmfs.dataplane.testsupport.LocalS3;
import io.ephemeral.cvmfs.dataplane.testsupport.RepositoryApi;
import io.ephemeral.cvmfs.dataplane.testsupport.Tars;
import io.ephemeral.cvmfs.dataplane.verify.RemoteRepository;
import io.ephemeral.cvmfs.dataplane.verify.RepositoryVerifier;
import io.ephemeral.cvmfs.dataplane.verify.VerificationResult;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two data planes on one bucket, as two replicas of a Deployment: the first to start writes the
 * repository, the second follows it, serving its files and announcing its revisions, and sends
 * writes to it. When the writer goes, the follower asks to be restarted, and a new process on its
 * working directory takes the repository over with nothing lost or repeated.
 */
class ReplicasTest {

  private static final String FQRN = "replicas.example.org";
  private static final Duration LEASE = Duration.ofSeconds(1);

  @TempDir
  Path temp;

  private LocalS3 s3;
  private S3Settings bucket;
  private DataPlane writer;
  private DataPlane follower;

  @BeforeEach
  void start() throws Exception {
    s3 = LocalS3.start(temp.resolve("s3"));
    bucket = s3.bucket("replicated", "cluster-a");
    writer = start("writer");
    follower = start("follower");
  }

  @AfterEach
  void stop() throws Exception {
    for (DataPlane dataPlane : new DataPlane[] {follower, writer}) {
      if (dataPlane != null) {
        dataPlane.close();
      }
    }
    s3.close();
  }

  private DataPlane start(String workingDirectory) throws Exception {
    DataPlaneConfig config = DataPlaneConfig.local(temp.resolve(workingDirectory), List.of(FQRN))
        .withKeysDirectory(temp.resolve("keys")).withStorage(new StorageConfig(bucket, LEASE, null));
    return DataPlane.start(config);
  }

  private RepositoryApi api(DataPlane dataPlane) throws Exception {
    return new RepositoryApi(() -> dataPlane, temp, FQRN);
  }

  private static long revision(byte[] manifest) {
    return Manifest.parse(SignedDocument.parse(manifest)).revision();
  }

  @Test
  void theFollowerServesAndAnnouncesWhatTheWriterPublishesWithinASecond() throws Exception {
    BlockingQueue<ActivityMessage> received = new LinkedBlockingQueue<>();
    NotificationClient subscriber = new NotificationClient(URI.create("http://127.0.0.1:" + follower.notificationPort()
        + "/api/v1"), FQRN, Duration.ofMillis(50), Duration.ofSeconds(1), line -> { });
    Thread listening = new Thread(() -> {
      try {
        subscriber.run(received::add);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    listening.start();
    try {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (!subscriber.subscribed() && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      assertTrue(subscriber.subscribed());

      byte[] tar = Tars.tar().file("hello.txt", "hello from the writer").bytes();
      assertEquals(201, api(writer).put("builds/1", tar, "").statusCode());
      long committed = System.nanoTime();
      byte[] written = api(writer).bytes("/cvmfs/" + FQRN + "/.cvmfspublished");

      ActivityMessage message = null;
      while (message == null || revision(message.manifest()) < revision(written)) {
        message = received.poll(3, TimeUnit.SECONDS);
        assertTrue(message != null, "the follower announced nothing");
      }
      long delay = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - committed);
      assertTrue(delay < 1000, "announced " + delay + " ms after the commit");
      assertArrayEquals(written, message.manifest());
      // The follower serves the same manifest, and the objects it names, from the bucket.
      assertArrayEquals(written, api(follower).bytes("/cvmfs/" + FQRN + "/.cvmfspublished"));
      String catalog = "data/" + Manifest.parse(SignedDocument.parse(written)).rootCatalog().objectPath(
          io.ephemeral.cvmfs.common.format.ObjectKind.CATALOG).substring("data/".length());
      assertArrayEquals(api(writer).bytes("/cvmfs/" + FQRN + "/" + catalog), api(follower).bytes("/cvmfs/" + FQRN + "/" + catalog));
    } finally {
      subscriber.close();
      listening.interrupt();
      listening.join(5000);
    }
  }

  @Test
  void theFollowerStreamsObjectsTooLargeToCacheWhole() throws Exception {
    byte[] large = new byte[5 * 1024 * 1024 + 17];
    new Random(5).nextBytes(large);
    assertEquals(201, api(writer).put("large", Tars.tar().file("large.bin", large, 0644).bytes(), "").statusCode());
    awaitRevision(follower, revision(api(writer).bytes("/cvmfs/" + FQRN + "/.cvmfspublished")));
    VerificationResult verified = new RepositoryVerifier(new RemoteRepository(api(follower).served()),
        List.of(Pem.readPublicKey(Files.readString(temp.resolve("keys").resolve(FQRN + ".pub"))))).verify();
    assertTrue(verified.entries().stream().anyMatch(entry -> entry.path().equals("/large/large.bin")
        && entry.size() == large.length), verified.summary());
  }

  private void awaitRevision(DataPlane dataPlane, long revision) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (revision(api(dataPlane).bytes("/cvmfs/" + FQRN + "/.cvmfspublished")) < revision
        && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
  }

  @Test
  void aWhitelistSignedAgainWithoutANewRevisionReachesTheFollower() throws Exception {
    String path = "/cvmfs/" + FQRN + "/.cvmfswhitelist";
    byte[] before = api(follower).bytes(path);
    Thread.sleep(1100); // whitelists are dated to the second
    writer.publisher(FQRN).repository().resignWhitelist(Duration.ofDays(20));
    byte[] resigned = api(writer).bytes(path);
    assertFalse(Arrays.equals(before, resigned));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (!Arrays.equals(resigned, api(follower).bytes(path)) && System.nanoTime() < deadline) {
      Thread.sleep(100);
    }
    assertArrayEquals(resigned, api(follower).bytes(path));
  }

  @Test
  void writesToTheFollowerAreRedirectedToTheWriter() throws Exception {
    RepositoryApi viaFollower = api(follower);
    HttpResponse<String> refused = viaFollower.send("GET", "/publications", null);
    // Until the writer's lease names its URL (a renewal after it bound its port), 503 and Retry-After.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (refused.statusCode() == 503 && System.nanoTime() < deadline) {
      assertEquals("1", refused.headers().firstValue("Retry-After").orElse(null));
      Thread.sleep(100);
      refused = viaFollower.send("GET", "/publications", null);
    }
    assertEquals(307, refused.statusCode(), refused.body());
    JsonNode error = RepositoryApi.json(refused);
    assertEquals("not_the_writer", error.path("error").asText());
    String location = refused.headers().firstValue("Location").orElseThrow();
    assertTrue(location.startsWith(api(writer).base()), location);

    // A client sends the token only where it sent the request; it sends the write again to the writer.
    byte[] tar = Tars.tar().file("a.txt", "redirected").bytes();
    HttpResponse<String> redirected = viaFollower.put("redirected", tar, "");
    assertEquals(307, redirected.statusCode(), redirected.body());
    String writerUri = redirected.headers().firstValue("Location").orElseThrow();
    assertEquals(api(writer).uri("/api/v1/repos/" + FQRN + "/paths/redirected").toString(), writerUri);
    HttpResponse<String> published = viaFollower.send(HttpRequest.newBuilder(URI.create(writerUri))
        .PUT(HttpRequest.BodyPublishers.ofByteArray(tar)));
    assertEquals(201, published.statusCode(), published.body());
    JsonNode info = RepositoryApi.json(api(writer).send("GET", "", null));
    assertEquals("writer", info.path("role").asText());
    assertTrue(info.path("storage").asText().startsWith("s3://replicated/cluster-a/"), info.toString());
  }

  @Test
  void theClientPushesAndListsThroughAFollowerByTalkingToTheWriter() throws Exception {
    Path tree = Files.createDirectories(temp.resolve("tree"));
    Files.writeString(tree.resolve("built.txt"), "built");
    String tokenFile = temp.resolve("keys").resolve(FQRN + ".token").toString();
    awaitWriterUrl();
    String viaFollower = api(follower).base() + "/" + FQRN;
    CliRunner.Result pushed = CliRunner.run("push", tree.toString(), "--to", viaFollower + "/pipelines/7", "--token-file",
        tokenFile, "--progress", "never", "--json");
    assertEquals(0, pushed.exitCode(), pushed.stderr());
    assertEquals(List.of("/pipelines/7"), writer.service().publications(FQRN).stream().map(p -> p.path()).toList());
    CliRunner.Result listed = CliRunner.run("ls", viaFollower, "--token-file", tokenFile);
    assertEquals(0, listed.exitCode(), listed.stderr());
    assertTrue(listed.stdout().contains("/pipelines/7"), listed.stdout());
  }

  /** Waits until the writer's lease names its URL, which it can only once its port is bound. */
  private void awaitWriterUrl() throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (api(follower).send("GET", "", null).statusCode() == 503 && System.nanoTime() < deadline) {
      Thread.sleep(100);
    }
  }

  @Test
  void whenTheWriterGoesTheFollowerRestartsIntoTheWriterWithNothingLost() throws Exception {
    assertEquals(201, api(writer).put("before", Tars.tar().file("b.txt", "before").bytes(), "").statusCode());
    long before = revision(api(writer).bytes("/cvmfs/" + FQRN + "/.cvmfspublished"));
    assertFalse(follower.restartRequested().isDone());

    writer.close();
    writer = null;
    follower.restartRequested().get(10, TimeUnit.SECONDS);
    follower.close();
    follower = start("follower");

    JsonNode info = RepositoryApi.json(api(follower).send("GET", "", null));
    assertEquals("writer", info.path("role").asText(), info.toString());
    assertEquals(201, api(follower).put("after", Tars.tar().file("a.txt", "after").bytes(), "").statusCode());
    List<String> paths = follower.service().publications(FQRN).stream().map(p -> p.path()).toList();
    assertEquals(List.of("/after", "/before"), paths.stream().sorted().toList());
    long after = revision(api(follower).bytes("/cvmfs/" + FQRN + "/.cvmfspublished"));
    assertEquals(before + 1, after, "one revision after the last one, none lost or repeated");
  }

  @Test
  void aWriterWhoseLeaseWasTakenIsFencedAndChangesNothing() throws Exception {
    assertEquals(201, api(writer).put("first", Tars.tar().file("f.txt", "first").bytes(), "").statusCode());
    // The writer stalls past its lease (as a paused VM would) and another process takes over.
    try (S3Bucket direct = S3Bucket.connect(bucket)) {
      direct.put(bucket.key("state/" + FQRN + "/writer.lease"),
          "{\"holder\":\"stalled\",\"until\":\"2000-01-01T00:00:00Z\"}".getBytes(StandardCharsets.UTF_8),
          S3Bucket.Exposure.PRIVATE);
    }
    follower.restartRequested().get(10, TimeUnit.SECONDS);
    follower.close();
    follower = start("follower");
    assertEquals(201, api(follower).put("second", Tars.tar().file("s.txt", "second").bytes(), "").statusCode());
    byte[] manifest = api(follower).bytes("/cvmfs/" + FQRN + "/.cvmfspublished");

    HttpResponse<String> fenced = api(writer).put("stale", Tars.tar().file("x.txt", "stale").bytes(), "");
    assertTrue(fenced.statusCode() >= 400, fenced.statusCode() + " " + fenced.body());
    byte[] inBucket = Files.readAllBytes(s3.bucketDirectory("replicated").resolve(bucket.key(FQRN + "/.cvmfspublished")));
    assertArrayEquals(manifest, inBucket, "the old writer changed the manifest in the bucket");
    // Fenced, it asks to be started again, and so comes back as a follower.
    writer.restartRequested().get(10, TimeUnit.SECONDS);
  }

  @Test
  void aMissingBucketAndWrongCredentialsStopTheStartWithAClearError() throws Exception {
    StorageConfig missing = new StorageConfig(s3.settings("no-such-bucket", ""), LEASE, null);
    Exception e = assertThrows(java.io.IOException.class, missing::connect);
    assertTrue(e.getMessage().contains("the bucket no-such-bucket does not exist"), e.getMessage());

    try (LocalS3 other = LocalS3.start(temp.resolve("other-s3"), "someone-else", "another-secret")) {
      StorageConfig denied = new StorageConfig(new S3Settings("replicated", "", other.endpoint(), "us-east-1", true, false),
          LEASE, null);
      Exception refused = assertThrows(java.io.IOException.class, denied::connect);
      assertTrue(refused.getMessage().contains("access denied"), refused.getMessage());
    }
  }
}
