package io.ephemeral.cvmfs.dataplane.notify;

/**
 * A notification request that cannot be served: the HTTP status to answer with, a stable error
 * code for programs and a detail for people. Nothing has been announced when this is thrown.
 */
public final class NotificationException extends Exception {

  private final int status;
  private final String code;

  public NotificationException(int status, String code, String detail) {
    super(detail);
    this.status = status;
    this.code = code;
  }

  static NotificationException badRequest(String code, String detail) {
    return new NotificationException(400, code, detail);
  }

  static NotificationException unknownRepository(String repository) {
    return new NotificationException(404, "unknown_repository", "this server does not serve " + repository);
  }

  public int status() {
    return status;
  }

  public String code() {
    return code;
  }
}
