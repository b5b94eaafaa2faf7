package io.ephemeral.cvmfs.dataplane.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ephemeral.cvmfs.common.format.SignedDocument;
import io.ephemeral.cvmfs.dataplane.format.Manifest;
import io.ephemeral.cvmfs.dataplane.testsupport.CliRunner;
import io.ephemeral.cvmfs.dataplane.testsupport.NotifyingRepository;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The subscribe command against a committing repository, across a server restart. */
class SubscribeCommandTest {

  private static final String FQRN = "subscribe.example.org";

  @TempDir
  static Path data;

  private static NotifyingRepository repository;

  @BeforeAll
  static void start() throws Exception {
    repository = NotifyingRepository.open(data, FQRN);
  }

  @AfterAll
  static void stop() throws Exception {
    repository.close();
  }

  @Test
  void printsEachNewRevisionVerifiedWithTheMasterKey() throws Exception {
    awaitSubscribers(0); // the subscriber of an earlier test has gone
    long current = repository.hub().revision(FQRN).orElseThrow();
    String root = currentRoot();
    CompletableFuture<CliRunner.Result> subscriber = CompletableFuture.supplyAsync(() -> CliRunner.run("subscribe",
        repository.notificationBase().toString(), FQRN, "--key", repository.masterPublicKey().toString(),
        "--exit-after-revision", Long.toString(current + 2)));
    awaitSubscribers(1);
    repository.commit();
    repository.commit();
    CliRunner.Result result = subscriber.get(10, TimeUnit.SECONDS);
    assertEquals(0, result.exitCode(), result.stderr());
    List<String> lines = result.stdoutLines();
    assertEquals(FQRN + " revision " + current + " root " + root, lines.get(0));
    assertEquals(FQRN + " revision " + (current + 2) + " root " + currentRoot(), lines.get(lines.size() - 1));
    assertTrue(lines.size() <= 3, lines.toString());
  }

  @Test
  void resubscribesAfterTheServerRestartsAndCatchesUp() throws Exception {
    awaitSubscribers(0); // the subscriber of an earlier test has gone
    long current = repository.hub().revision(FQRN).orElseThrow();
    String root = currentRoot();
    CompletableFuture<CliRunner.Result> subscriber = CompletableFuture.supplyAsync(() -> CliRunner.run("subscribe",
        repository.notificationBase().toString(), FQRN, "--count", "2", "--backoff-initial", "50",
        "--backoff-max", "200"));
    awaitSubscribers(1);
    int port = repository.port();
    repository.stop();
    long missed = repository.commit(); // committed while nobody could be told
    Thread.sleep(300); // the client fails a few attempts in the meantime
    repository.start(port);
    CliRunner.Result result = subscriber.get(10, TimeUnit.SECONDS);
    assertEquals(0, result.exitCode(), result.stderr());
    assertEquals(List.of(FQRN + " revision " + current + " root " + root,
        FQRN + " revision " + missed + " root " + currentRoot()), result.stdoutLines());
    assertTrue(result.stderr().contains("subscribing again in"), result.stderr());
  }

  private static void awaitSubscribers(int count) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (repository.hub().subscribers(FQRN) != count) {
      assertTrue(System.nanoTime() < deadline, "waiting for " + count + " subscribers");
      Thread.sleep(10);
    }
  }

  private static String currentRoot() throws Exception {
    return Manifest.parse(SignedDocument.parse(repository.servedManifest())).rootCatalog().toString();
  }
}
