package io.ephemeral.cvmfs.dataplane.cli;

import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.function.Consumer;

/**
 * Runs a server until SIGTERM. The JVM runs the shutdown hook and then halts, so the hook asks
 * for the stop and waits until the server has stopped and closed: streams are ended and work
 * finished before the process goes.
 */
final class UntilShutdown {

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
    UntilShutdown until = new UntilShutdown();
    Thread hook = new Thread(until::stopAndWait, "shutdown");
    try (S server = start.call()) {
      announce.accept(server);
      System.out.flush();
      Runtime.getRuntime().addShutdownHook(hook);
      until.stopRequested.await();
      stop.accept(server);
    } finally {
      until.closed.countDown();
    }
    return 0;
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
