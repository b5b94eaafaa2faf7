package io.ephemeral.cvmfs.dataplane.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import io.ephemeral.cvmfs.dataplane.publish.ObjectPipeline;
import io.ephemeral.cvmfs.dataplane.publish.Publisher;
import io.ephemeral.cvmfs.dataplane.publish.source.Sources;
import io.ephemeral.cvmfs.dataplane.repository.DataLayout;
import io.ephemeral.cvmfs.dataplane.repository.Repository;
import io.ephemeral.cvmfs.dataplane.testsupport.LocalS3;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The bucket as the storage classes use it, against S3Proxy, and the failures a store can answer with. */
class S3BucketTest {

  private static LocalS3 s3;
  private static S3Settings settings;

  @TempDir
  Path temp;

  @BeforeAll
  static void start(@TempDir Path root) throws Exception {
    s3 = LocalS3.start(root);
    settings = s3.bucket("objects", "prefix");
  }

  @AfterAll
  static void stop() throws Exception {
    s3.close();
  }

  @Test
  void aFileAboveTheThresholdGoesUpInPartsAndComesBackWhole() throws Exception {
    Path file = temp.resolve("large");
    long size = S3Bucket.MULTIPART_THRESHOLD + S3Bucket.PART_SIZE / 2 + 12_345;
    MessageDigest expected = MessageDigest.getInstance("SHA-256");
    Random random = new Random(7);
    byte[] block = new byte[1 << 20];
    try (var out = Files.newOutputStream(file)) {
      for (long written = 0; written < size; written += block.length) {
        random.nextBytes(block);
        int length = (int) Math.min(block.length, size - written);
        out.write(block, 0, length);
        expected.update(block, 0, length);
      }
    }
    try (S3Bucket bucket = S3Bucket.connect(settings)) {
      bucket.putFile("prefix/large", file, size, S3Bucket.Exposure.SERVED_OBJECT);
      ObjectStore.SizedStream read = bucket.openSized("prefix/large");
      assertEquals(size, read.size());
      MessageDigest actual = MessageDigest.getInstance("SHA-256");
      try (InputStream in = read.content()) {
        byte[] buffer = new byte[1 << 16];
        for (int n; (n = in.read(buffer)) > 0; ) {
          actual.update(buffer, 0, n);
        }
      }
      assertArrayEquals(expected.digest(), actual.digest());
      // One object, no parts left behind: multipart uploads were completed, not abandoned.
      assertEquals(List.of("objects/prefix/large"), s3.keys("objects", "prefix").map(key -> "objects/" + key)
          .filter(key -> key.endsWith("large")).toList());
    }
  }

  @Test
  void conditionalWritesRefuseAChangedObject() throws Exception {
    try (S3Bucket bucket = S3Bucket.connect(settings)) {
      byte[] one = "one".getBytes(StandardCharsets.UTF_8);
      String etag = bucket.put("prefix/conditional", one, S3Bucket.Exposure.PRIVATE, S3Bucket.Precondition.ABSENT);
      assertThrows(S3Bucket.PreconditionFailedException.class, () -> bucket.put("prefix/conditional", one,
          S3Bucket.Exposure.PRIVATE, S3Bucket.Precondition.ABSENT));
      String next = bucket.put("prefix/conditional", "two".getBytes(StandardCharsets.UTF_8), S3Bucket.Exposure.PRIVATE,
          S3Bucket.Precondition.unchanged(etag));
      assertThrows(S3Bucket.PreconditionFailedException.class, () -> bucket.put("prefix/conditional", one,
          S3Bucket.Exposure.PRIVATE, S3Bucket.Precondition.unchanged(etag)));
      assertArrayEquals("two".getBytes(StandardCharsets.UTF_8), bucket.get("prefix/conditional").orElseThrow());
      assertTrue(bucket.deleteIfMatch("prefix/conditional", next));
    }
  }

  @Test
  void aThrottlingStoreIsRetriedWithBackoffThenFailsWithAClearError() throws Exception {
    AtomicInteger requests = new AtomicInteger();
    HttpServer throttling = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    throttling.createContext("/", exchange -> {
      requests.incrementAndGet();
      byte[] body = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>SlowDown</Code>"
          + "<Message>Please reduce your request rate.</Message></Error>").getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", "application/xml");
      exchange.sendResponseHeaders(503, exchange.getRequestMethod().equals("HEAD") ? -1 : body.length);
      if (!exchange.getRequestMethod().equals("HEAD")) {
        exchange.getResponseBody().write(body);
      }
      exchange.close();
    });
    throttling.start();
    try {
      S3Settings slow = new S3Settings("objects", "", URI.create("http://127.0.0.1:" + throttling.getAddress().getPort()),
          "us-east-1", true, false);
      long started = System.nanoTime();
      IOException e = assertThrows(IOException.class, () -> S3Bucket.connect(slow));
      assertTrue(e.getMessage().contains("HTTP 503"), e.getMessage());
      assertTrue(requests.get() > 1, "not retried: " + requests.get() + " request(s)");
      assertTrue(System.nanoTime() - started > Duration.ofMillis(100).toNanos(), "retried without backing off");
    } finally {
      throttling.stop(0);
    }
  }

  @Test
  void aBucketHoldingAnotherRepositoryIsRefusedAndLeftAlone(@TempDir Path other) throws Exception {
    String fqrn = "foreign.example.org";
    S3Settings shared = s3.bucket("shared", "");
    ObjectPipeline pipeline = ObjectPipeline.forThisMachine();
    try {
      // One data plane, with its own keys, publishes into the bucket.
      try (StorageBackend first = new StorageConfig(shared, Duration.ofSeconds(5), null).connect()) {
        Repository repository = Repository.at(new DataLayout(other.resolve("one"), other.resolve("keys-one")), fqrn)
            .storage(first).open();
        try (Publisher publisher = Publisher.start(repository, pipeline)) {
          Path tree = Files.createDirectories(other.resolve("tree"));
          Files.writeString(tree.resolve("f"), "first");
          publisher.publish("p", Sources.open(tree), null, false);
        }
      }
      byte[] manifest = Files.readAllBytes(s3.bucketDirectory("shared").resolve(fqrn + "/.cvmfspublished"));
      // Another with other keys must not take it over.
      try (StorageBackend second = new StorageConfig(shared, Duration.ofSeconds(5), null).connect()) {
        IOException e = assertThrows(IOException.class, () -> Repository.at(
            new DataLayout(other.resolve("two"), other.resolve("keys-two")), fqrn).storage(second).open());
        assertTrue(e.getMessage().contains("signed with another certificate"), e.getMessage());
      }
      assertArrayEquals(manifest, Files.readAllBytes(s3.bucketDirectory("shared").resolve(fqrn + "/.cvmfspublished")));
      // Nor a bucket with a repository but none of this data plane's state (one cvmfs_server wrote).
      Files.delete(s3.bucketDirectory("shared").resolve("state/" + fqrn + "/state.db"));
      try (StorageBackend third = new StorageConfig(shared, Duration.ofSeconds(5), null).connect()) {
        IOException e = assertThrows(IOException.class, () -> Repository.at(
            new DataLayout(other.resolve("three"), other.resolve("keys-one")), fqrn).storage(third).open());
        assertTrue(e.getMessage().contains("written by another tool"), e.getMessage());
      }
    } finally {
      pipeline.close();
    }
  }
}
