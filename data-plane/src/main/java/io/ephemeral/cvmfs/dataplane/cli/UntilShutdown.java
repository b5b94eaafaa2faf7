package io.ephemeral.cvmfs.dataplane.cli;

import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Runs a server until SIGTERM. The JVM runs the shutdown hook and then halts, so the hook asks
 * for the stop and waits until the server has stopped and closed: streams are ended and work
 * finished before the process goes.
 */
final class UntilShutdown {

  /** The exit status of a server that stopped to be started again (EX_TEMPFAIL). */
  static final int EXIT_RESTART = 75;

  private final CountDownLatch stopRequested = new CountDownLatch(1);
  private final CountDownLatch closed = new CountDownLatch(1);

  private UntilShutdown() {
  }

  /** Starts the server, lets {@code announce} say where it listens, and closes it on SIGTERM. */
  static <S extends AutoCloseable> int serve(Callable<S> start, Consumer<S> announce) throws Exception {
    return serve(start, announce, server -> { });
  }

  /**
   * As {@link #serve(Callable, Consumer)}, with {@code stop} run on SIGTERM before the server is
   * closed, such as a drain of the requests in flight.
   */
  static <S extends AutoCloseable> int serve(Callable<S> start, Consumer<S> announce, Consumer<S> stop)
      throws Exception {
    return serve(start, announce, stop, server -> new CompletableFuture<>());
  }

  /**
   * As {@link #serve(Callable, Consumer, Consumer)}; when {@code restart} completes, the server
   * stops as on SIGTERM and the exit status is {@link #EXIT_RESTART}, for the supervisor (the
   * kubelet, systemd) to start the process again.
   */
  static <S extends AutoCloseable> int serve(Callable<S> start, Consumer<S> announce, Consumer<S> stop,
      Function<S, CompletionStage<?>> restart) throws Exception {
    UntilShutdown until = new UntilShutdown();
    Thread hook = new Thread(until::stopAndWait, "shutdown");
    boolean restarting;
    try (S server = start.call()) {
      announce.accept(server);
      System.out.flush();
      Runtime.getRuntime().addShutdownHook(hook);
      CompletableFuture<?> restartRequested = restart.apply(server).toCompletableFuture();
      restartRequested.thenRun(until.stopRequested::countDown);
      until.stopRequested.await();
      restarting = restartRequested.isDone();
      stop.accept(server);
    } finally {
      until.closed.countDown();
    }
    return restarting ? EXIT_RESTART : 0;
  }

  private void stopAndWait() {
    stopRequested.countDown();
    try {
      closed.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
