package io.ephemeral.cvmfs.dataplane.notify;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The subscribers of each repository and its latest announcement. Announcing only hands the new
 * announcement to each subscriber, which writes it on its own event loop when its previous write
 * has completed; so a slow or stuck subscriber costs one pending reference, never a delay to the
 * announcer or to the other subscribers.
 *
 * <p>A subscriber that joins gets the latest announcement at once, so a client that lost its
 * stream catches up on reconnecting; for an unchanged revision the stock client's remount check
 * is a no-op (format.md 10.6).
 */
public final class NotificationHub implements AutoCloseable {

  /** How long {@link #close()} spreads the closing of subscriptions over, at most. */
  public static final Duration SHUTDOWN_SPREAD = Duration.ofSeconds(2);

  // Clients reconnect as soon as their stream ends: a millisecond apart at most, so that even a
  // few streams are closed quickly, and never all at once.
  private static final Duration SHUTDOWN_STEP = Duration.ofMillis(1);

  private static final Logger LOG = LoggerFactory.getLogger(NotificationHub.class);

  /** What {@link #announce} did. */
  public enum Outcome {
    /** Sent to every subscriber. */
    ANNOUNCED,
    /** The same message as the latest: sent to nobody. */
    UNCHANGED,
    /** Older than the latest announcement: refused. */
    STALE
  }

  private final Map<String, Topic> topics = new ConcurrentHashMap<>();
  private volatile boolean closed;

  /**
   * Announces revision {@code revision} of the message's repository to its subscribers, unless it
   * is older than the latest announcement or the very same message.
   */
  public Outcome announce(ActivityMessage message, long revision) {
    Announcement announcement = Announcement.of(message, revision);
    Outcome[] outcome = new Outcome[1];
    // Topics change only inside compute, so a topic cannot be dropped while it takes a new latest.
    Topic topic = topics.compute(announcement.repository(), (name, existing) -> {
      Topic t = existing == null ? new Topic() : existing;
      outcome[0] = t.replaceLatest(announcement);
      return t;
    });
    if (outcome[0] == Outcome.ANNOUNCED) {
      fanOut(topic.subscribers, announcement);
    }
    return outcome[0];
  }

  /**
   * Offers {@code announcement} to each subscriber, then has each event loop write to its
   * subscribers in one task: a thousand streams cost a handful of tasks, not a thousand.
   */
  private static void fanOut(Iterable<Subscriber> subscribers, Announcement announcement) {
    Map<Executor, List<Subscriber>> due = new HashMap<>();
    for (Subscriber subscriber : subscribers) {
      if (subscriber.offer(announcement)) {
        due.computeIfAbsent(subscriber.writer(), writer -> new ArrayList<>()).add(subscriber);
      }
    }
    due.forEach((writer, batch) -> {
      try {
        writer.execute(() -> batch.forEach(Subscriber::writePending));
      } catch (RejectedExecutionException e) {
        // The server is shutting down, and these streams with it.
      }
    });
  }

  /** The revision last announced for {@code repository}. */
  public OptionalLong revision(String repository) {
    Topic topic = topics.get(repository);
    Announcement latest = topic == null ? null : topic.latest;
    return latest == null ? OptionalLong.empty() : OptionalLong.of(latest.revision());
  }

  /** How many streams are open for {@code repository}. */
  public int subscribers(String repository) {
    Topic topic = topics.get(repository);
    return topic == null ? 0 : topic.subscribers.size();
  }

  /**
   * Adds a subscriber and offers it the latest announcement; a repository nobody announced yet
   * is fine (format.md 10.7: hold the stream open). Returns false once the hub is closed.
   */
  boolean subscribe(String repository, Subscriber subscriber) {
    Announcement[] latest = new Announcement[1];
    topics.compute(repository, (name, existing) -> {
      Topic t = existing == null ? new Topic() : existing;
      t.subscribers.add(subscriber);
      latest[0] = t.latest;
      return t;
    });
    // Checked after adding, so that close() either sees this subscriber or it sees closed.
    if (closed) {
      unsubscribe(repository, subscriber);
      return false;
    }
    if (latest[0] != null) {
      fanOut(List.of(subscriber), latest[0]);
    }
    return true;
  }

  void unsubscribe(String repository, Subscriber subscriber) {
    // Forget repositories that only ever had subscribers, so made-up names cannot pile up.
    topics.computeIfPresent(repository, (name, topic) -> {
      topic.subscribers.remove(subscriber);
      return topic.subscribers.isEmpty() && topic.latest == null ? null : topic;
    });
  }

  /** {@link #close(Duration)} over {@link #SHUTDOWN_SPREAD}. */
  @Override
  public void close() {
    close(SHUTDOWN_SPREAD);
  }

  /**
   * Ends every subscription abruptly, without the terminating chunk, so that clients see an
   * error and reconnect (format.md 10.7), spread over at most {@code spread} so that they do not all
   * reconnect at once. Returns once all are closed; later subscriptions are closed at once.
   */
  public void close(Duration spread) {
    closed = true;
    List<Subscriber> all = new ArrayList<>();
    topics.values().forEach(topic -> all.addAll(topic.subscribers));
    Collections.shuffle(all);
    long step = Math.min(SHUTDOWN_STEP.toNanos(), spread.toNanos() / Math.max(1, all.size()));
    List<Future<?>> closing = new ArrayList<>(all.size());
    for (int i = 0; i < all.size(); i++) {
      closing.add(all.get(i).closeAbruptly(Duration.ofNanos(i * step)));
    }
    long deadline = System.nanoTime() + spread.toNanos() + TimeUnit.SECONDS.toNanos(5);
    for (Future<?> future : closing) {
      try {
        future.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (ExecutionException | TimeoutException e) {
        LOG.debug("a subscription did not close cleanly", e);
      }
    }
  }

  private static final class Topic {
    final Set<Subscriber> subscribers = ConcurrentHashMap.newKeySet();
    volatile Announcement latest;

    Outcome replaceLatest(Announcement announcement) {
      Announcement current = latest;
      if (current != null && announcement.revision() < current.revision()) {
        return Outcome.STALE;
      }
      if (current != null && announcement.revision() == current.revision()
          && Arrays.equals(announcement.chunk(), current.chunk())) {
        return Outcome.UNCHANGED;
      }
      latest = announcement;
      return Outcome.ANNOUNCED;
    }
  }
}
