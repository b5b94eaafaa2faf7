package io.ephemeral.cvmfs.dataplane;

import java.io.IOException;

/** Opening in steps, where what an earlier step opened must not outlive a later step that fails. */
public final class Closing {

  /** A step of opening. */
  @FunctionalInterface
  public interface Step<T> {
    T run() throws IOException;
  }

  private Closing() {
  }

  /**
   * What {@code next} returns; if it throws, {@code opened} is closed first (a failure to close is
   * added to the one thrown as suppressed).
   */
  public static <T> T onFailure(AutoCloseable opened, Step<T> next) throws IOException {
    try {
      return next.run();
    } catch (IOException | RuntimeException e) {
      try {
        opened.close();
      } catch (Exception closing) {
        e.addSuppressed(closing);
      }
      throw e;
    }
  }
}
