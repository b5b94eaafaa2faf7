package io.ephemeral.cvmfs.dataplane.api;

import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the blocking part of a request (ingest, SQLite, file system) on the API workers, never on
 * a Netty thread, and hands any failure to the route as the error its client gets.
 */
final class BlockingWork {

  private static final Logger LOG = LoggerFactory.getLogger(BlockingWork.class);

  private BlockingWork() {}

  /** The blocking part of a request. */
  interface Work {
    void run() throws Exception;
  }

  /**
   * Runs {@code work}; a failure, or a pool too busy to take it (503), goes to {@code answer}.
   * {@code held} (may be null), what the request holds such as its body or uploaded files, is
   * closed once the work is done or refused: a refused request must not leave its upload behind.
   */
  static void run(Executor workers, AutoCloseable held, Work work, Consumer<ApiError> answer) {
    try {
      workers.execute(() -> {
        try {
          work.run();
        } catch (Exception | Error e) {
          answer.accept(ApiError.from(e));
        } finally {
          close(held);
        }
      });
    } catch (RejectedExecutionException e) {
      close(held);
      answer.accept(ApiError.of(HttpResponseStatus.SERVICE_UNAVAILABLE, "busy", "too many requests in progress; retry later"));
    }
  }

  private static void close(AutoCloseable held) {
    if (held == null) {
      return;
    }
    try {
      held.close();
    } catch (Exception e) {
      LOG.warn("cannot release what a request held", e);
    }
  }
}
