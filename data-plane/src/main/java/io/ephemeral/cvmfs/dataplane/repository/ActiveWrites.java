package io.ephemeral.cvmfs.dataplane.repository;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The writes into a repository's object store that are not yet part of a committed revision: a
 * publication from its first object to its commit, a commit from its root catalog to its
 * manifest. The garbage collector keeps every object written since the oldest of them started,
 * because nothing served references those objects yet.
 */
public final class ActiveWrites {

  private final Map<Write, Instant> active = new ConcurrentHashMap<>();

  /** Registers a write starting now; close the result when the write is committed or abandoned. */
  public Write begin() {
    Write write = new Write(this);
    active.put(write, Instant.now());
    return write;
  }

  /** When the oldest write still under way started, if any is. */
  public Optional<Instant> oldestStart() {
    return active.values().stream().min(Instant::compareTo);
  }

  /** One registered write; identity matters, so this is a class rather than a record. */
  public static final class Write implements AutoCloseable {
    private final ActiveWrites owner;

    private Write(ActiveWrites owner) {
      this.owner = owner;
    }

    @Override
    public void close() {
      owner.active.remove(this);
    }
  }
}
