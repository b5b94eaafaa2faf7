package io.ephemeral.cvmfs.dataplane.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ephemeral.cvmfs.common.format.Pem;
import io.ephemeral.cvmfs.dataplane.maintenance.GarbageCollector;
import io.ephemeral.cvmfs.dataplane.maintenance.GcResult;
import io.ephemeral.cvmfs.dataplane.publish.ObjectPipeline;
import io.ephemeral.cvmfs.dataplane.publish.Publisher;
import io.ephemeral.cvmfs.dataplane.publish.source.Sources;
import io.ephemeral.cvmfs.dataplane.repository.DataLayout;
import io.ephemeral.cvmfs.dataplane.repository.Publication;
import io.ephemeral.cvmfs.dataplane.repository.Repository;
import io.ephemeral.cvmfs.dataplane.testsupport.FixtureServer;
import io.ephemeral.cvmfs.dataplane.testsupport.LocalS3;
import io.ephemeral.cvmfs.dataplane.verify.RemoteRepository;
import io.ephemeral.cvmfs.dataplane.verify.RepositoryVerifier;
import io.ephemeral.cvmfs.dataplane.verify.VerificationResult;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The repository-level behaviour every storage must keep, run against each: the data directory,
 * and a bucket of a real S3 API server (S3Proxy). Each test gets a fresh data directory and, on
 * S3, a fresh key prefix; the keys live apart from both, as a mounted Secret would.
 */
class RepositoryBackendsTest {

  private static final String FQRN = "backends.example.org";

  private static LocalS3 s3;
  private static ObjectPipeline pipeline;

  @TempDir
  Path temp;

  private Publisher publisher;

  enum Backend { LOCAL, S3 }

  @BeforeAll
  static void start(@TempDir Path s3Root) throws Exception {
    s3 = LocalS3.start(s3Root);
    s3.bucket("repositories", "");
    pipeline = ObjectPipeline.forThisMachine();
  }

  @AfterAll
  static void stop() throws Exception {
    pipeline.close();
    s3.close();
  }

  @AfterEach
  void closePublisher() throws IOException {
    if (publisher != null) {
      publisher.close();
    }
  }

  private final String prefix = "run-" + UUID.randomUUID();

  private StorageConfig storage(Backend backend) {
    return backend == Backend.LOCAL ? StorageConfig.LOCAL
        : new StorageConfig(s3.settings("repositories", prefix), Duration.ofSeconds(30), null);
  }

  private DataLayout layout(String workingDirectory) {
    return new DataLayout(temp.resolve(workingDirectory), temp.resolve("keys"));
  }

  private Repository open(Backend backend, String workingDirectory) throws IOException {
    return open(storage(backend).connect(), workingDirectory);
  }

  private Repository open(StorageBackend storage, String workingDirectory) throws IOException {
    Repository repository = Repository.at(layout(workingDirectory), FQRN).storage(storage).open();
    publisher = Publisher.start(repository, pipeline);
    return repository;
  }

  private void reopen(Backend backend, String workingDirectory) throws IOException {
    publisher.close();
    publisher = null;
    open(backend, workingDirectory);
  }

  private void publish(String path, String... nameAndContent) throws IOException {
    Path tree = Files.createDirectories(temp.resolve("trees").resolve(path + "-" + System.nanoTime()));
    for (int i = 0; i < nameAndContent.length; i += 2) {
      Files.writeString(tree.resolve(nameAndContent[i]), nameAndContent[i + 1]);
    }
    publisher.publish(path, Sources.open(tree), null, false);
  }

  /** Verifies what a client sees: the served directory, or the bucket straight over its HTTP endpoint. */
  private VerificationResult verify(Backend backend, Repository repository) throws Exception {
    List<java.security.PublicKey> keys = List.of(Pem.readPublicKey(Files.readString(repository.layout().masterPublicKey(FQRN))));
    if (backend == Backend.S3) {
      return new RepositoryVerifier(new RemoteRepository(URI.create(s3.endpoint() + "/repositories/" + prefix + "/" + FQRN)),
          keys).verify();
    }
    try (FixtureServer server = FixtureServer.serve(repository.layout().dataDirectory())) {
      return new RepositoryVerifier(new RemoteRepository(server.uri(FQRN)), keys).verify();
    }
  }

  @ParameterizedTest
  @EnumSource(Backend.class)
  void aRoundTripVerifiesFromWhereClientsRead(Backend backend) throws Exception {
    Repository repository = open(backend, "work");
    publish("pipelines/1", "a.txt", "alpha", "b.txt", "beta");
    VerificationResult result = verify(backend, repository);
    assertTrue(result.entries().stream().anyMatch(entry -> entry.path().equals("/pipelines/1/a.txt")), result.summary());
    try (InputStream in = repository.objects().open(repository.head().orElseThrow().rootCatalog(),
        io.ephemeral.cvmfs.common.format.ObjectKind.CATALOG)) {
      assertTrue(in.readAllBytes().length > 0);
    }
    if (backend == Backend.S3) {
      // The working directory holds no object: they are all in the bucket.
      try (Stream<Path> local = Files.walk(repository.served())) {
        assertEquals(List.of(), local.filter(Files::isRegularFile).filter(file -> file.toString().contains("/data/")).toList());
      }
      assertTrue(s3.keys("repositories", prefix + "/state/" + FQRN).anyMatch(key -> key.endsWith("/state.db")));
    }
  }

  @ParameterizedTest
  @EnumSource(Backend.class)
  void anEmptyRestartWithTheSameKeysNeverGoesBack(Backend backend) throws Exception {
    Repository first = open(backend, "first");
    publish("kept", "k.txt", "kept");
    long revision = first.head().orElseThrow().revision();

    reopen(backend, "second");
    Repository second = publisher.repository();
    if (backend == Backend.S3) {
      // Everything came back from the bucket: the head, the publications and the served files.
      assertEquals(revision, second.head().orElseThrow().revision());
      assertEquals(List.of("/kept"), second.publications().stream().map(Publication::path).toList());
    }
    publish("next", "n.txt", "next");
    assertTrue(second.head().orElseThrow().revision() > revision);
    VerificationResult result = verify(backend, second);
    assertEquals(backend == Backend.S3, result.entries().stream().anyMatch(entry -> entry.path().equals("/kept/k.txt")));
  }

  @ParameterizedTest
  @EnumSource(Backend.class)
  void garbageCollectionFreesWhatNoKeptRevisionReferences(Backend backend) throws Exception {
    Repository repository = open(backend, "work");
    publish("a", "only-a", "AAAA", "shared", "SSSS");
    publish("b", "only-b", "BBBB", "shared", "SSSS");
    publisher.remove("a");
    long before = repository.objects().storedBytes();
    // Past the collector's fence margin: the objects are older than the run.
    Thread.sleep(2_100);

    GcResult result = new GarbageCollector(repository, Duration.ZERO).collect(false);

    // a's file and catalog, and the root catalogs of the three earlier revisions.
    assertEquals(5, result.objectsFreed(), result.toString());
    assertEquals(before - result.bytesFreed(), repository.objects().storedBytes());
    VerificationResult verified = verify(backend, repository);
    assertTrue(verified.entries().stream().anyMatch(entry -> entry.path().equals("/b/shared")));
    assertEquals(0, new GarbageCollector(repository, Duration.ZERO).collect(false).objectsFreed());
  }

  /** Every step of a commit that touches the storage fails once, in turn; the storage stays valid. */
  @ParameterizedTest
  @EnumSource(Backend.class)
  void aFailureAtEachStepOfACommitLeavesTheLastManifestValid(Backend backend) throws Exception {
    open(backend, "setup");
    publish("base", "base.txt", "base");
    publisher.close();
    publisher = null;
    for (int step = 0; ; step++) {
      FailingStorage failing = new FailingStorage(storage(backend).connect(), step);
      Repository repository = Repository.at(layout("setup"), FQRN).storage(failing).open();
      failing.arm();
      long before = repository.head().orElseThrow().revision();
      publisher = Publisher.start(repository, pipeline);
      boolean failed;
      try {
        publish("step-" + step, "f.txt", "step " + step);
        failed = false;
      } catch (IOException e) {
        failed = true;
      }
      publisher.close();
      publisher = null;
      // A process that starts afresh from the storage finds a valid repository, never older.
      // On S3 from an empty directory; the data directory is the storage itself otherwise.
      Repository restarted = open(backend, backend == Backend.S3 ? "after-" + step : "setup");
      VerificationResult result = verify(backend, restarted);
      assertTrue(result.revision() >= before, "step " + step);
      publisher.close();
      publisher = null;
      if (!failed) {
        // The reflog and the manifest; on S3 the state before them.
        assertEquals(backend == Backend.S3 ? 3 : 2, step);
        return;
      }
    }
  }

  /** Once armed, fails the {@code failAt}-th save of a state or served file, counting from 0. */
  private static final class FailingStorage implements StorageBackend {
    private final StorageBackend delegate;
    private final int failAt;
    private final AtomicInteger saves = new AtomicInteger(-1);
    private volatile boolean armed;

    FailingStorage(StorageBackend delegate, int failAt) {
      this.delegate = delegate;
      this.failAt = failAt;
    }

    @Override
    public RepositoryStorage open(DataLayout layout, String fqrn) throws IOException {
      RepositoryStorage storage = delegate.open(layout, fqrn);
      return new RepositoryStorage() {
        @Override
        public ObjectStore objects() {
          return storage.objects();
        }

        @Override
        public boolean isRemote() {
          return storage.isRemote();
        }

        @Override
        public void restore(Path stateDirectory, Path served) throws IOException {
          storage.restore(stateDirectory, served);
        }

        @Override
        public void saveServed(String name, byte[] content) throws IOException {
          failIfDue();
          storage.saveServed(name, content);
        }

        @Override
        public void saveState(String name, Path snapshot) throws IOException {
          failIfDue();
          storage.saveState(name, snapshot);
        }

        private void failIfDue() throws IOException {
          if (armed && saves.incrementAndGet() == failAt) {
            throw new IOException("injected failure at save " + failAt);
          }
        }

        @Override
        public Optional<String> writer() {
          return storage.writer();
        }

        @Override
        public String describe() {
          return storage.describe();
        }

        @Override
        public void close() throws IOException {
          storage.close();
        }
      };
    }

    void arm() {
      armed = true;
    }

    @Override
    public void close() throws IOException {
      delegate.close();
    }
  }
}
