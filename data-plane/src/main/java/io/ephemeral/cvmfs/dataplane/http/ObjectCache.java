package io.ephemeral.cvmfs.dataplane.http;

import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Small objects recently read from disk, held in memory so that the requests right after are
 * answered on the event loop, without a file system call: after a publication, every client asks
 * for the same few new catalogs within seconds.
 *
 * <p>An object never changes under its name, but it can be deleted, by garbage collection here
 * or by another process. An entry is therefore trusted for {@link #LIFETIME} after it was read;
 * the first request after that reads the file again. The capacity is a bound on the bytes held;
 * when it is reached, new objects are served from disk until entries expire.
 *
 * <p>Safe for concurrent use: entries are added from the file executor and read on the event
 * loops.
 */
public final class ObjectCache {

  /** How long an entry is served before the file is looked at again. */
  public static final Duration LIFETIME = Duration.ofSeconds(1);

  /** The largest object held; larger ones are sent from the file with sendfile(2). */
  public static final int MAX_OBJECT = 256 * 1024;

  private static final long LIFETIME_NANOS = LIFETIME.toNanos();

  /** Expired entries are looked for at most this often, when the cache is full. */
  private static final long SWEEP_INTERVAL_NANOS = LIFETIME_NANOS / 4;

  private record Entry(byte[] content, long readAt) {}

  private final ConcurrentHashMap<String, Entry> entries = new ConcurrentHashMap<>();
  private final AtomicLong bytesHeld = new AtomicLong();
  private final AtomicLong lastSweep;
  private final long capacity;
  private final LongSupplier nanoClock;

  /** A cache holding up to about {@code capacity} bytes of content. */
  public ObjectCache(long capacity) {
    this(capacity, System::nanoTime);
  }

  ObjectCache(long capacity, LongSupplier nanoClock) {
    if (capacity <= 0) {
      throw new IllegalArgumentException("capacity must be positive: " + capacity);
    }
    this.capacity = capacity;
    this.nanoClock = nanoClock;
    this.lastSweep = new AtomicLong(nanoClock.getAsLong() - SWEEP_INTERVAL_NANOS);
  }

  /** Whether an object of {@code size} bytes may be held. */
  public boolean admits(long size) {
    return size <= MAX_OBJECT && size <= capacity;
  }

  /** The content held under {@code key} and still within its lifetime, or {@code null}. */
  public byte[] get(String key) {
    Entry entry = entries.get(key);
    if (entry == null) {
      return null;
    }
    if (expired(entry, nanoClock.getAsLong())) {
      remove(key, entry);
      return null;
    }
    return entry.content();
  }

  /**
   * Holds {@code content}, just read from disk, under {@code key}, unless it is too large or the
   * cache is full. The caller must not change the array afterwards.
   */
  public void put(String key, byte[] content) {
    if (!admits(content.length)) {
      return;
    }
    long now = nanoClock.getAsLong();
    if (!hasRoomFor(content.length) && !(sweep(now) && hasRoomFor(content.length))) {
      return;
    }
    Entry fresh = new Entry(content, now);
    Entry replaced = entries.put(key, fresh);
    bytesHeld.addAndGet(content.length - (replaced == null ? 0 : replaced.content().length));
  }

  /** Bytes of content held, expired entries included until they are dropped. */
  long bytesHeld() {
    return bytesHeld.get();
  }

  private boolean hasRoomFor(int length) {
    return bytesHeld.get() + length <= capacity;
  }

  /** Drops expired entries, unless that was done less than a sweep interval ago; true if it ran. */
  private boolean sweep(long now) {
    long last = lastSweep.get();
    if (now - last < SWEEP_INTERVAL_NANOS || !lastSweep.compareAndSet(last, now)) {
      return false;
    }
    entries.forEach((key, entry) -> {
      if (expired(entry, now)) {
        remove(key, entry);
      }
    });
    return true;
  }

  private void remove(String key, Entry entry) {
    if (entries.remove(key, entry)) {
      bytesHeld.addAndGet(-entry.content().length);
    }
  }

  private static boolean expired(Entry entry, long now) {
    return now - entry.readAt() >= LIFETIME_NANOS;
  }
}
