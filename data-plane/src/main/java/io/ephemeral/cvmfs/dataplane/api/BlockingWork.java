package io.ephemeral.cvmfs.dataplane.api;

import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;

/**
 * Runs the blocking part of a request (ingest, SQLite, file system) on the API workers, never on
 * a Netty thread, and hands any failure to the route as the error its client gets.
 */
final class BlockingWork {

  private BlockingWork() {}

  /** The blocking part of a request. */
  interface Work {
    void run() throws Exception;
  }

  /** Runs {@code work}; a failure, or a pool too busy to take it (503), goes to {@code answer}. */
  static void run(Executor workers, Work work, Consumer<ApiError> answer) {
    try {
      workers.execute(() -> {
        try {
          work.run();
        } catch (Exception | Error e) {
          answer.accept(ApiError.from(e));
        }
      });
    } catch (RejectedExecutionException e) {
      answer.accept(ApiError.of(HttpResponseStatus.SERVICE_UNAVAILABLE, "busy", "too many requests in progress; retry later"));
    }
  }
}
