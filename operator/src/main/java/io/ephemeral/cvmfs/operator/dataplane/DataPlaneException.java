package io.ephemeral.cvmfs.operator.dataplane;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A call to the data plane that did not succeed.
 *
 * @param status the HTTP status, or 0 when no answer came
 */
public final class DataPlaneException extends Exception {

  /** How the data plane words a URL source whose server answered with an error status. */
  private static final Pattern SOURCE_STATUS = Pattern.compile("answered HTTP (\\d{3})");

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

  /**
   * Whether the data plane could not fetch a URL or image source for a reason that may pass: the
   * source's server (or registry) answered 5xx, 408 or 429, or could not be reached in time
   * ({@code 422 source_unavailable} saying {@code cannot fetch}). A 404 or 403 from the source is
   * not, nor are credentials a registry refused.
   */
  public boolean isTransientSourceFailure() {
    if (status != 422 || !"source_unavailable".equals(code) || getMessage() == null) {
      return false;
    }
    if (getMessage().startsWith("cannot fetch ")) {
      return true;
    }
    Matcher answered = SOURCE_STATUS.matcher(getMessage());
    if (!answered.find()) {
      return false;
    }
    int sourceStatus = Integer.parseInt(answered.group(1));
    return sourceStatus >= 500 || sourceStatus == 408 || sourceStatus == 429;
  }
}
