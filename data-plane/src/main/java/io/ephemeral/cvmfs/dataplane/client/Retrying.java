package io.ephemeral.cvmfs.dataplane.client;

import java.io.IOException;
import java.net.ConnectException;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * Sends a request until it gets an answer that is not transient. Connection failures (refused,
 * reset, closed early), timeouts and the statuses {@link ApiResponse#transientFailure() worth
 * repeating} are tried again with exponential backoff; any other answer, good or bad, is returned.
 */
public final class Retrying {

  /** One attempt; {@code attempt} counts from 1. */
  @FunctionalInterface
  public interface Attempt {
    ApiResponse send(int attempt) throws IOException, InterruptedException;
  }

  /** How to wait; tests pass one that does not. */
  @FunctionalInterface
  public interface Sleeper {
    void sleep(Duration duration) throws InterruptedException;
  }

  private final RetryPolicy policy;
  private final Consumer<String> notices;
  private final Sleeper sleeper;

  public Retrying(RetryPolicy policy, Consumer<String> notices) {
    this(policy, notices, d -> Thread.sleep(d.toMillis()));
  }

  public Retrying(RetryPolicy policy, Consumer<String> notices, Sleeper sleeper) {
    this.policy = policy;
    this.notices = notices;
    this.sleeper = sleeper;
  }

  /**
   * Runs attempts until one gets an answer that is not transient, and returns it.
   *
   * @param what the request, for messages, e.g. {@code PUT http://…}
   * @param repeatable asked after a failed attempt: false when the request cannot be sent again (its body
   *     was read from standard input)
   * @throws ClientFailure {@link ClientFailure.Kind#UNREACHABLE} once the retries are used up, or
   *     at the first failure of a request that is not repeatable; {@link ClientFailure.Kind#REFUSED}
   *     when the source could not be read
   */
  public ApiResponse run(String what, boolean repeatable, Attempt attempt) throws ClientFailure, InterruptedException {
    return run(what, () -> repeatable, attempt);
  }

  /** {@link #run(String, boolean, Attempt)} with the answer to "can it be sent again" found out when needed. */
  public ApiResponse run(String what, BooleanSupplier repeatable, Attempt attempt) throws ClientFailure, InterruptedException {
    for (int n = 1; ; n++) {
      ApiResponse response = null;
      String failure;
      try {
        response = attempt.send(n);
        if (!response.transientFailure()) {
          return response;
        }
        failure = response.describeFailure();
      } catch (SourceFailure e) {
        throw new ClientFailure(ClientFailure.Kind.REFUSED, e.getMessage(), e);
      } catch (IOException e) {
        failure = describe(e);
      }
      if (!repeatable.getAsBoolean()) {
        throw new ClientFailure(ClientFailure.Kind.UNREACHABLE, what + " failed: " + failure
            + " (not retried: a body read from standard input cannot be sent again)", null);
      }
      if (n > policy.retries()) {
        throw new ClientFailure(ClientFailure.Kind.UNREACHABLE, what + " failed after " + n
            + (n == 1 ? " attempt: " : " attempts: ") + failure, null);
      }
      Duration delay = policy.delay(n, response);
      notices.accept("attempt " + n + " failed: " + failure + "; trying again in " + Units.duration(delay));
      sleeper.sleep(delay);
    }
  }

  /** The first message in the cause chain: the HTTP client often wraps a message-less exception. */
  static String describe(Throwable failure) {
    for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
      if (cause instanceof ConnectException) {
        return "cannot connect" + (cause.getMessage() == null ? "" : " (" + cause.getMessage() + ")");
      }
      if (cause instanceof HttpTimeoutException) {
        return "timed out" + (cause.getMessage() == null ? "" : " (" + cause.getMessage() + ")");
      }
    }
    for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
      if (cause.getMessage() != null && !cause.getMessage().isBlank()) {
        return cause.getMessage();
      }
    }
    return failure.toString();
  }
}
