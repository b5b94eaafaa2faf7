package io.ephemeral.cvmfs.dataplane.verify;

import java.io.IOException;
import java.net.URI;

/** A request answered with a status other than 2xx, which the client treats as a failure (format.md 3.2). */
public final class HttpStatusException extends IOException {

  private static final long serialVersionUID = 1L;

  private final URI uri;
  private final int statusCode;

  public HttpStatusException(URI uri, int statusCode) {
    super("GET " + uri + " answered HTTP " + statusCode);
    this.uri = uri;
    this.statusCode = statusCode;
  }

  public URI uri() {
    return uri;
  }

  public int statusCode() {
    return statusCode;
  }
}
