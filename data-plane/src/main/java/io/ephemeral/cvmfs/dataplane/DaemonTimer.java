package io.ephemeral.cvmfs.dataplane;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

/** The background timers of the data plane: one named daemon thread each, so none holds the JVM up at exit. */
public final class DaemonTimer {

  private DaemonTimer() {}

  /** A single-thread scheduler whose thread is called {@code name}. */
  public static ScheduledExecutorService named(String name) {
    return Executors.newSingleThreadScheduledExecutor(runnable -> {
      Thread thread = new Thread(runnable, name);
      thread.setDaemon(true);
      return thread;
    });
  }
}
