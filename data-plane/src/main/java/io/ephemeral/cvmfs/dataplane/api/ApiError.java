package io.ephemeral.cvmfs.dataplane.api;

import io.ephemeral.cvmfs.dataplane.publish.PublishException;
import io.ephemeral.cvmfs.dataplane.publish.source.InvalidSourceException;
import io.ephemeral.cvmfs.dataplane.publish.source.LimitExceededException;
import io.ephemeral.cvmfs.dataplane.publish.source.SourceUnavailableException;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/** An API failure as the client sees it: a status and a JSON body {@code {"error": CODE, "detail": TEXT}}. */
public record ApiError(HttpResponseStatus status, String code, String detail) {

  public static ApiError of(HttpResponseStatus status, String code, String detail) {
    return new ApiError(status, code, detail);
  }

  /** The answer to a write refused by the authorizer: unknown repository, no token, or another one. */
  public static ApiError refusal(HttpResponseStatus status, String fqrn) {
    if (status.equals(HttpResponseStatus.NOT_FOUND)) {
      return of(status, "not_found", "unknown repository " + fqrn);
    }
    if (status.equals(HttpResponseStatus.UNAUTHORIZED)) {
      return of(status, "unauthorized", "this needs Authorization: Bearer <token of " + fqrn + ">");
    }
    return of(status, "forbidden", "the token is not valid for " + fqrn);
  }

  /** Maps what a publish operation threw to the answer the client gets. */
  public static ApiError from(Throwable failure) {
    Throwable cause = unwrap(failure);
    String message = cause.getMessage() == null ? cause.toString() : cause.getMessage();
    if (cause instanceof PublishException refused) {
      return refused.reason() == PublishException.Reason.CONFLICT
          ? of(HttpResponseStatus.CONFLICT, "conflict", message)
          : of(HttpResponseStatus.NOT_FOUND, "not_found", message);
    }
    if (cause instanceof LimitExceededException) {
      return of(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, "too_large", message);
    }
    if (cause instanceof SourceUnavailableException) {
      return of(HttpResponseStatus.UNPROCESSABLE_ENTITY, "source_unavailable", message);
    }
    if (cause instanceof InvalidSourceException) {
      return of(HttpResponseStatus.BAD_REQUEST, "invalid_content", message);
    }
    if (cause instanceof InvalidParameterException invalid) {
      return invalid.error();
    }
    if (cause instanceof IllegalArgumentException) {
      return of(HttpResponseStatus.BAD_REQUEST, "invalid_request", message);
    }
    if (cause instanceof IOException && message.contains("No space left on device")) {
      return of(HttpResponseStatus.INSUFFICIENT_STORAGE, "insufficient_storage", message);
    }
    return of(HttpResponseStatus.INTERNAL_SERVER_ERROR, "internal", message);
  }

  private static Throwable unwrap(Throwable failure) {
    Throwable cause = failure;
    while ((cause instanceof CompletionException || cause instanceof ExecutionException
        || cause instanceof UncheckedIOException) && cause.getCause() != null) {
      cause = cause.getCause();
    }
    return cause;
  }
}
