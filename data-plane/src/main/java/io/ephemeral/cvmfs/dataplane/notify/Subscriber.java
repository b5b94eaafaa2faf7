package io.ephemeral.cvmfs.dataplane.notify;

import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.concurrent.Future;

/** One open subscription, as the {@link NotificationHub} sees it. */
interface Subscriber {

  /** The thread that writes to this subscriber: its connection's event loop. */
  Executor writer();

  /**
   * Keeps {@code announcement} as the next to write, in place of any older one still waiting;
   * called from any thread, returns at once. Returns true when nothing was waiting, so that
   * {@link #writePending} must be run on the {@link #writer}; otherwise a run is already due.
   */
  boolean offer(Announcement announcement);

  /** Writes the waiting announcement, if the previous write has completed; on the writer only. */
  void writePending();

  /** Ends the stream without its terminating chunk after {@code delay}; completes once closed. */
  Future<?> closeAbruptly(Duration delay);
}
