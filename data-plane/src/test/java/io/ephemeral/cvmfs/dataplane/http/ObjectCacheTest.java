package io.ephemeral.cvmfs.dataplane.http;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ObjectCacheTest {

  private static final long LIFETIME = ObjectCache.LIFETIME.toNanos();

  private final AtomicLong now = new AtomicLong(1_000_000_000L);

  @Test
  void servesAnEntryUntilItsLifetimeEnds() {
    ObjectCache cache = new ObjectCache(1024, now::get);
    byte[] content = {1, 2, 3};
    cache.put("/a", content);
    assertArrayEquals(content, cache.get("/a"));
    assertNull(cache.get("/b"));
    now.addAndGet(LIFETIME - 1);
    assertArrayEquals(content, cache.get("/a"));
    now.addAndGet(1);
    assertNull(cache.get("/a"));
    assertEquals(0, cache.bytesHeld());
  }

  @Test
  void neverHoldsMoreThanItsCapacity() {
    ObjectCache cache = new ObjectCache(10, now::get);
    cache.put("/a", new byte[6]);
    cache.put("/b", new byte[6]);
    assertEquals(6, cache.bytesHeld());
    assertNull(cache.get("/b"));
    // A newer copy of the same object replaces the old one in the count.
    cache.put("/a", new byte[6]);
    assertEquals(6, cache.bytesHeld());
  }

  @Test
  void makesRoomByDroppingExpiredEntries() {
    ObjectCache cache = new ObjectCache(10, now::get);
    cache.put("/a", new byte[6]);
    now.addAndGet(LIFETIME);
    cache.put("/b", new byte[6]);
    assertEquals(6, cache.bytesHeld());
    assertNull(cache.get("/a"));
    assertEquals(6, cache.get("/b").length);
  }

  @Test
  void looksForExpiredEntriesOnlyNowAndThen() {
    ObjectCache cache = new ObjectCache(10, now::get);
    cache.put("/a", new byte[6]);
    now.addAndGet(LIFETIME - LIFETIME / 8);
    cache.put("/b", new byte[6]); // full: sweeps, finds nothing expired, refuses
    assertNull(cache.get("/b"));
    cache.put("/c", new byte[2]);
    now.addAndGet(LIFETIME / 8);
    // "/a" has expired, but the last sweep was less than a sweep interval ago.
    cache.put("/d", new byte[6]);
    assertNull(cache.get("/d"));
    now.addAndGet(LIFETIME / 8);
    cache.put("/d", new byte[6]);
    assertEquals(6, cache.get("/d").length);
    assertEquals(8, cache.bytesHeld());
  }

  @Test
  void admitsOnlySmallObjects() {
    ObjectCache cache = new ObjectCache(1L << 30, now::get);
    assertTrue(cache.admits(ObjectCache.MAX_OBJECT));
    assertFalse(cache.admits(ObjectCache.MAX_OBJECT + 1));
    cache.put("/large", new byte[ObjectCache.MAX_OBJECT + 1]);
    assertNull(cache.get("/large"));
    assertFalse(new ObjectCache(100, now::get).admits(101));
  }

  @Test
  void refusesANonPositiveCapacity() {
    assertThrows(IllegalArgumentException.class, () -> new ObjectCache(0));
  }
}
