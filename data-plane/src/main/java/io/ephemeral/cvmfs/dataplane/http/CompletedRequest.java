package io.ephemeral.cvmfs.dataplane.http;

import java.time.Duration;

/**
 * A request as it ended, for the access metrics and the audit log.
 *
 * @param method the request method
 * @param status the status of the final response, or 0 when none was sent
 * @param facts what the route that answered learnt about the request
 * @param requestBytes bytes of request body received until the response ended
 * @param responseBytes bytes of response body sent
 * @param duration from the request head to the end of the response, or to the connection's close
 * @param client the address of the peer
 * @param end how it ended
 */
public record CompletedRequest(String method, int status, RequestFacts facts, long requestBytes, long responseBytes,
    Duration duration, String client, End end) {

  /** How a request ended. */
  public enum End {
    /** The response was written to the end. */
    ANSWERED,
    /** Writing the response failed. */
    WRITE_FAILED,
    /** The connection closed before the response was written to the end. */
    CLOSED
  }

  /** Anything but GET, HEAD and OPTIONS. */
  public boolean write() {
    return !method.equals("GET") && !method.equals("HEAD") && !method.equals("OPTIONS");
  }

  /** {@code ok}, {@code refused} (4xx), {@code failed} (5xx, or the response could not be sent) or {@code aborted}. */
  public String outcome() {
    if (end == End.CLOSED) {
      return "aborted";
    }
    if (end == End.WRITE_FAILED || status >= 500) {
      return "failed";
    }
    return status >= 400 ? "refused" : "ok";
  }

  /**
   * Receives each request as it ends, on the connection's event loop or on the thread of the
   * route that wrote the response; must be thread-safe and must not block.
   */
  @FunctionalInterface
  public interface Listener {
    void completed(CompletedRequest request);
  }
}
