package io.ephemeral.cvmfs.dataplane.client;

/**
 * Why a client command failed, with the exit code it ends with: {@link Kind#REFUSED} (1) when the
 * server answered no or the source could not be read, {@link Kind#UNREACHABLE} (3) when the server
 * could not be reached, or kept answering with a transient failure, after every retry;
 * {@link Kind#NOT_VISIBLE} (4) when a publication did not show in the served manifest in time.
 */
public final class ClientFailure extends Exception {

  public enum Kind {
    REFUSED(1),
    UNREACHABLE(3),
    NOT_VISIBLE(4);

    private final int exitCode;

    Kind(int exitCode) {
      this.exitCode = exitCode;
    }

    public int exitCode() {
      return exitCode;
    }
  }

  private final Kind kind;

  public ClientFailure(Kind kind, String message, Throwable cause) {
    super(message, cause);
    this.kind = kind;
  }

  public static ClientFailure refused(String message) {
    return new ClientFailure(Kind.REFUSED, message, null);
  }

  public Kind kind() {
    return kind;
  }

  public int exitCode() {
    return kind.exitCode();
  }
}
