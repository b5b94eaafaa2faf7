package io.ephemeral.cvmfs.operator.dataplane;

/**
 * A call to the data plane that did not succeed.
 *
 * @param status the HTTP status, or 0 when no answer came
 */
public final class DataPlaneException extends Exception {

  private final int status;
  private final String code;

  public DataPlaneException(int status, String code, String detail) {
    super(detail);
    this.status = status;
    this.code = code;
  }

  public int status() {
    return status;
  }

  /** The data plane's error code, e.g. {@code conflict}, or {@code unreachable}. */
  public String code() {
    return code;
  }

  /** Whether trying again later may succeed: no answer, or a server error other than a full disk. */
  public boolean isTransient() {
    return status == 0 || (status >= 500 && status != 507);
  }
}
