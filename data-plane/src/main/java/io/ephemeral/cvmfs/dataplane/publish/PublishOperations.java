package io.ephemeral.cvmfs.dataplane.publish;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The publications answered before they finish ({@code Prefer: respond-async}): running ones,
 * and finished ones for {@link #RETENTION} so that a client polling now and then still reads the
 * outcome. Kept in memory only: after a restart an operation is unknown, and its client looks at
 * the path instead (a cut publication never commits).
 */
public final class PublishOperations {

  /** How long a finished operation can still be read. */
  public static final Duration RETENTION = Duration.ofHours(1);
  /** The most finished operations kept, whatever their age; the oldest go first. */
  static final int MAX_FINISHED = 1_000;

  private final Clock clock;
  private final SecureRandom random = new SecureRandom();
  private final Map<String, PublishOperation> operations = new LinkedHashMap<>();

  public PublishOperations(Clock clock) {
    this.clock = clock;
  }

  /** Records a new running operation on {@code path} of {@code repository}. */
  public synchronized PublishOperation start(String repository, String path) {
    prune();
    byte[] id = new byte[16];
    random.nextBytes(id);
    PublishOperation operation = new PublishOperation(HexFormat.of().formatHex(id), repository, path,
        clock.instant(), null, null, null);
    operations.put(operation.id(), operation);
    return operation;
  }

  public synchronized void succeeded(String id, PublishResult result) {
    operations.computeIfPresent(id, (key, running) -> running.succeeded(clock.instant(), result));
    notifyAll();
  }

  public synchronized void failed(String id, Throwable failure) {
    operations.computeIfPresent(id, (key, running) -> running.failed(clock.instant(), failure));
    notifyAll();
  }

  /** The operation {@code id} of {@code repository}; another repository's is not found. */
  public synchronized Optional<PublishOperation> find(String repository, String id) {
    prune();
    return Optional.ofNullable(operations.get(id)).filter(operation -> operation.repository().equals(repository));
  }

  /** Waits until no operation runs or {@code deadline} ({@link System#nanoTime()}) passes; returns those still running. */
  public synchronized List<PublishOperation> awaitIdle(long deadline) throws InterruptedException {
    while (true) {
      List<PublishOperation> running = running();
      long left = deadline - System.nanoTime();
      if (running.isEmpty() || left <= 0) {
        return running;
      }
      wait(Math.max(1, left / 1_000_000));
    }
  }

  private List<PublishOperation> running() {
    return operations.values().stream().filter(operation -> operation.state() == PublishOperation.State.RUNNING)
        .toList();
  }

  private void prune() {
    var oldest = clock.instant().minus(RETENTION);
    operations.values().removeIf(operation -> operation.finishedAt() != null && operation.finishedAt().isBefore(oldest));
    List<PublishOperation> finished = operations.values().stream().filter(operation -> operation.finishedAt() != null)
        .sorted(Comparator.comparing(PublishOperation::finishedAt)).toList();
    for (int i = 0; i < finished.size() - MAX_FINISHED; i++) {
      operations.remove(finished.get(i).id());
    }
  }
}
