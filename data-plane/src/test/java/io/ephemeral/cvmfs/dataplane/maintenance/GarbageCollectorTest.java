package io.ephemeral.cvmfs.dataplane.maintenance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ephemeral.cvmfs.common.format.ContentHash;
import io.ephemeral.cvmfs.common.format.HashAlgorithm;
import io.ephemeral.cvmfs.common.format.ObjectKind;
import io.ephemeral.cvmfs.common.format.Pem;
import io.ephemeral.cvmfs.dataplane.format.Compression;
import io.ephemeral.cvmfs.dataplane.format.ObjectEncoder;
import io.ephemeral.cvmfs.dataplane.publish.ObjectPipeline;
import io.ephemeral.cvmfs.dataplane.publish.Publisher;
import io.ephemeral.cvmfs.dataplane.publish.source.Sources;
import io.ephemeral.cvmfs.dataplane.repository.DataLayout;
import io.ephemeral.cvmfs.dataplane.repository.Repository;
import io.ephemeral.cvmfs.dataplane.storage.LocalObjectStore;
import io.ephemeral.cvmfs.dataplane.testsupport.FixtureServer;
import io.ephemeral.cvmfs.dataplane.verify.RemoteRepository;
import io.ephemeral.cvmfs.dataplane.verify.RepositoryReader;
import io.ephemeral.cvmfs.dataplane.verify.RepositoryVerifier;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GarbageCollectorTest {

  private static final String FQRN = "gc.example.org";

  @TempDir
  Path temp;

  private final SettableClock clock = new SettableClock(Instant.parse("2030-01-01T00:00:00Z"));
  private final ObjectPipeline pipeline = ObjectPipeline.forThisMachine();
  private Publisher publisher;

  @AfterEach
  void close() throws IOException {
    if (publisher != null) {
      publisher.close();
    }
    pipeline.close();
  }

  private Repository open(Clock repositoryClock) throws IOException {
    Repository repository = Repository.at(new DataLayout(temp.resolve("data")), FQRN).clock(repositoryClock).open();
    publisher = Publisher.start(repository, pipeline);
    return repository;
  }

  private void publish(String path, String... nameAndContent) throws IOException {
    Path tree = Files.createDirectories(temp.resolve("trees").resolve(path + "-" + System.nanoTime()));
    for (int i = 0; i < nameAndContent.length; i += 2) {
      Files.writeString(tree.resolve(nameAndContent[i]), nameAndContent[i + 1]);
    }
    publisher.publish(path, Sources.open(tree), null, false);
  }

  /** Publishes a, then b, then removes a, an hour apart; returns the repository an hour later. */
  private Repository threeRevisions() throws IOException {
    Repository repository = open(clock);
    publish("a", "only-a", "AAAA", "shared", "SSSS");
    clock.advance(Duration.ofHours(1));
    publish("b", "only-b", "BBBB", "shared", "SSSS");
    clock.advance(Duration.ofHours(1));
    publisher.remove("a");
    clock.advance(Duration.ofHours(1));
    ageObjects(repository, Duration.ofDays(1));
    return repository;
  }

  private static void ageObjects(Repository repository, Duration age) throws IOException {
    FileTime old = FileTime.from(Instant.now().minus(age));
    try (Stream<Path> files = Files.walk(repository.served().resolve("data"))) {
      for (Path file : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
        Files.setLastModifiedTime(file, old);
      }
    }
  }

  private static Path objectOf(Repository repository, String content) {
    byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
    ObjectEncoder encoder = new ObjectEncoder(6);
    try {
      ContentHash hash = encoder.encode(bytes, 0, bytes.length, Compression.ZLIB, HashAlgorithm.SHA1).hash();
      return repository.served().resolve(hash.objectPath(ObjectKind.FILE));
    } finally {
      encoder.close();
    }
  }

  private static void verify(Repository repository) throws Exception {
    try (FixtureServer server = FixtureServer.serve(repository.layout().dataDirectory())) {
      RemoteRepository remote = new RemoteRepository(server.uri(FQRN));
      new RepositoryVerifier(remote, List.of(Pem.readPublicKey(
          Files.readString(repository.layout().masterPublicKey(FQRN))))).verify();
    }
  }

  @Test
  void deletesWhatOnlyCondemnedRevisionsReference() throws Exception {
    Repository repository = threeRevisions();
    assertTrue(Files.exists(objectOf(repository, "AAAA")));
    assertEquals(4, repository.reflogCatalogs().size());

    GcResult result = new GarbageCollector(repository, Duration.ofMinutes(30)).collect(false);

    assertFalse(Files.exists(objectOf(repository, "AAAA")));
    assertTrue(Files.exists(objectOf(repository, "BBBB")));
    assertTrue(Files.exists(objectOf(repository, "SSSS")));
    // a's file and nested catalog, and three old root catalogs
    assertEquals(5, result.objectsFreed(), result.toString());
    assertTrue(result.bytesFreed() > 0 && result.objectsKept() > 0);
    assertEquals(1, result.revisionsPreserved());
    assertEquals(List.of(repository.head().orElseThrow().rootCatalog()),
        repository.reflogCatalogs().stream().map(e -> e.hash()).toList());
    verify(repository);
    assertEquals(0, new GarbageCollector(repository, Duration.ofMinutes(30)).collect(false).objectsFreed());
  }

  @Test
  void keepsEveryRevisionCurrentWithinTheGracePeriod() throws Exception {
    Repository repository = threeRevisions();
    // The cutoff falls between "b published" and "a removed": the revision holding a and b was current then.
    GcResult result = new GarbageCollector(repository, Duration.ofMinutes(90)).collect(false);
    assertTrue(Files.exists(objectOf(repository, "AAAA")));
    assertEquals(2, result.revisionsPreserved());
    assertEquals(2, result.objectsFreed(), result.toString()); // the two oldest root catalogs
  }

  @Test
  void dryRunCountsButDeletesNothing() throws Exception {
    Repository repository = threeRevisions();
    GcResult dry = new GarbageCollector(repository, Duration.ofMinutes(30)).collect(true);
    assertTrue(dry.dryRun());
    assertEquals(5, dry.objectsFreed());
    assertTrue(Files.exists(objectOf(repository, "AAAA")));
    assertEquals(4, repository.reflogCatalogs().size());
  }

  @Test
  void objectsWrittenOrReusedAfterTheFenceSurvive() throws Exception {
    Repository repository = threeRevisions();
    Files.setLastModifiedTime(objectOf(repository, "AAAA"), FileTime.from(Instant.now().minus(Duration.ofDays(1))));
    // A publication that finds the old object present touches it, as a reuse would.
    byte[] bytes = "AAAA".getBytes(StandardCharsets.UTF_8);
    ObjectEncoder encoder = new ObjectEncoder(6);
    assertFalse(repository.objects().put(encoder.encode(bytes, 0, 4, Compression.ZLIB, HashAlgorithm.SHA1),
        ObjectKind.FILE, 4).written());
    encoder.close();
    new GarbageCollector(repository, Duration.ofMinutes(30)).collect(false);
    assertTrue(Files.exists(objectOf(repository, "AAAA")));
  }

  @Test
  void deletionRechecksTheModificationTimeUnderTheStoreLock() throws Exception {
    Repository repository = threeRevisions();
    Path object = objectOf(repository, "AAAA");
    long size = Files.size(object);
    FileTime fence = FileTime.from(Instant.now().minus(Duration.ofHours(1)));
    // Renewed after the sweeper listed it as old: it stays.
    Files.setLastModifiedTime(object, FileTime.from(Instant.now()));
    assertEquals(-1, ((LocalObjectStore) repository.objects()).deleteIfOlderThan(object, fence));
    assertTrue(Files.exists(object));
    Files.setLastModifiedTime(object, FileTime.from(Instant.now().minus(Duration.ofDays(1))));
    assertEquals(size, ((LocalObjectStore) repository.objects()).deleteIfOlderThan(object, fence));
    assertFalse(Files.exists(object));
    assertEquals(-1, ((LocalObjectStore) repository.objects()).deleteIfOlderThan(object, fence));
  }

  @Test
  void publicationsUnderWayAreProtected() throws Exception {
    Repository repository = threeRevisions();
    try (var write = repository.activeWrites().begin()) {
      Thread.sleep(5);
      // Written before the collection starts, but by a publication not yet committed.
      Files.writeString(repository.served().resolve("data/00/" + "0".repeat(38)), "pending");
      Files.setLastModifiedTime(repository.served().resolve("data/00/" + "0".repeat(38)),
          FileTime.from(Instant.now()));
      new GarbageCollector(repository, Duration.ofMinutes(30)).collect(false);
      assertTrue(Files.exists(repository.served().resolve("data/00/" + "0".repeat(38))));
    }
  }

  @Test
  void collectsWhilePublicationsReuseOldObjects() throws Exception {
    Repository repository = open(Clock.systemUTC());
    for (int i = 0; i < 20; i++) {
      publish("old/" + i, "f", "reused content " + i);
      publisher.remove("old/" + i);
    }
    ageObjects(repository, Duration.ofDays(1));
    GarbageCollector collector = new GarbageCollector(repository, Duration.ZERO);
    AtomicBoolean publishing = new AtomicBoolean(true);
    ExecutorService threads = Executors.newFixedThreadPool(3);
    try {
      Future<Integer> collections = threads.submit(() -> {
        int runs = 0;
        while (publishing.get()) {
          collector.collect(false);
          runs++;
        }
        return runs;
      });
      List<Future<?>> publishers = new ArrayList<>();
      for (int t = 0; t < 2; t++) {
        int thread = t;
        publishers.add(threads.submit(() -> {
          for (int i = thread; i < 20; i += 2) {
            publish("new/" + i, "reused", "reused content " + i, "fresh", "fresh content " + i);
          }
          return null;
        }));
      }
      for (Future<?> future : publishers) {
        future.get();
      }
      publishing.set(false);
      assertTrue(collections.get() > 0);
    } finally {
      threads.shutdownNow();
    }
    collector.collect(false);
    verify(repository);
    // cvmfs_swissknife scrub rejects any subdirectory of data/txn; nothing is left there at rest.
    try (Stream<Path> txn = Files.list(repository.served().resolve("data/txn"))) {
      assertEquals(List.of(), txn.toList());
    }
    try (FixtureServer server = FixtureServer.serve(repository.layout().dataDirectory());
        RepositoryReader reader = RepositoryReader.open(new RemoteRepository(server.uri(FQRN)))) {
      for (int i = 0; i < 20; i++) {
        assertArrayEquals(("reused content " + i).getBytes(), reader.readAllBytes("/new/" + i + "/reused"));
      }
    }
  }

  @Test
  void defaultGraceIsTwiceTheTtlAndAtLeastFiveMinutes() {
    assertEquals(Duration.ofMinutes(5), GarbageCollector.defaultGrace(60));
    assertEquals(Duration.ofMinutes(8), GarbageCollector.defaultGrace(240));
  }

  private static final class SettableClock extends Clock {
    private volatile Instant now;

    SettableClock(Instant now) {
      this.now = now;
    }

    void advance(Duration duration) {
      now = now.plus(duration);
    }

    @Override
    public Instant instant() {
      return now;
    }

    @Override
    public java.time.ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }
  }
}
