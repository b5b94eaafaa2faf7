package io.ephemeral.cvmfs.dataplane.server;

import io.ephemeral.cvmfs.dataplane.DaemonTimer;
import io.ephemeral.cvmfs.dataplane.repository.AtomicFiles;
import io.ephemeral.cvmfs.dataplane.repository.DataLayout;
import io.ephemeral.cvmfs.dataplane.repository.Repository;
import io.ephemeral.cvmfs.dataplane.repository.RepositoryKeys;
import io.ephemeral.cvmfs.dataplane.storage.FollowedStorage;
import io.ephemeral.cvmfs.dataplane.storage.WriterLease;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A repository in object storage that another process writes, which this one serves and
 * announces: a follower. It polls the manifest's entity tag, a HEAD request, every {@link #POLL};
 * when it changes, the top-level files come down into the working directory (the manifest last,
 * so it never names a whitelist not yet there) and the new revision is announced to this
 * process's subscribers. Objects are read from the bucket as clients ask for them.
 *
 * <p>It also watches the whitelist, which is signed again without a new revision, and the writer
 * lease, once a second. When the lease lapses or is let go, the writer is gone
 * and {@code onWriterGone} runs once: the process restarts to take the repository over.
 */
final class FollowedRepository implements AutoCloseable {

  /** A revision reaches a follower's subscribers at most this long after the writer's manifest swap, plus a request. */
  static final Duration POLL = Duration.ofMillis(250);
  private static final int POLLS_PER_LEASE_CHECK = 4;
  private static final Logger LOG = LoggerFactory.getLogger(FollowedRepository.class);
  private static final List<String> TOP_LEVEL_FILES =
      List.of(Repository.WHITELIST, Repository.REFLOG, Repository.MASTER_REPLICA, Repository.MANIFEST);

  private final String fqrn;
  private final DataLayout layout;
  private final RepositoryKeys keys;
  private final FollowedStorage storage;
  private final Clock clock;
  private final ScheduledExecutorService poller;
  private final AtomicBoolean writerGone = new AtomicBoolean();
  private volatile String manifestTag;
  private volatile String whitelistTag;
  private volatile WriterLease.Held lease;
  private int polls;

  private FollowedRepository(String fqrn, DataLayout layout, RepositoryKeys keys, FollowedStorage storage,
      WriterLease.Held lease, Clock clock) {
    this.fqrn = fqrn;
    this.layout = layout;
    this.keys = keys;
    this.storage = storage;
    this.lease = lease;
    this.clock = clock;
    this.poller = DaemonTimer.named("follow-" + fqrn);
  }

  /** Follows {@code fqrn}, whose writer holds {@code lease}; its keys (the public halves at least) must be in place. */
  static FollowedRepository open(String fqrn, DataLayout layout, FollowedStorage storage, WriterLease.Held lease)
      throws IOException {
    FollowedRepository followed = new FollowedRepository(fqrn, layout, RepositoryKeys.load(layout, fqrn), storage, lease,
        Clock.systemUTC());
    Files.createDirectories(followed.served());
    followed.manifestTag = storage.manifestTag().orElse(null);
    followed.whitelistTag = storage.tagOf(Repository.WHITELIST).orElse(null);
    followed.download();
    return followed;
  }

  /** Starts polling: {@code onRevision} after each new manifest is in place, {@code onWriterGone} once. */
  void start(Runnable onRevision, Runnable onWriterGone) {
    poller.scheduleWithFixedDelay(() -> poll(onRevision, onWriterGone), POLL.toMillis(), POLL.toMillis(),
        TimeUnit.MILLISECONDS);
  }

  private void poll(Runnable onRevision, Runnable onWriterGone) {
    try {
      String tag = storage.manifestTag().orElse(null);
      if (tag != null && !tag.equals(manifestTag)) {
        download();
        manifestTag = tag;
        onRevision.run();
      }
      if (++polls % POLLS_PER_LEASE_CHECK == 0) {
        // A whitelist is signed again without a new revision: look at it as often as at the lease.
        String whitelist = storage.tagOf(Repository.WHITELIST).orElse(null);
        if (whitelist != null && !whitelist.equals(whitelistTag)) {
          download();
          whitelistTag = whitelist;
        }
        Optional<WriterLease.Held> current = storage.lease();
        current.ifPresent(held -> lease = held);
        if ((current.isEmpty() || !current.get().until().isAfter(clock.instant())) && writerGone.compareAndSet(false, true)) {
          LOG.warn("the writer of {} is gone (its lease {}); taking the repository over", fqrn,
              current.map(held -> "lapsed at " + held.until()).orElse("was let go"));
          onWriterGone.run();
        }
      }
    } catch (IOException | RuntimeException e) {
      // The bucket may be briefly out of reach; what is served stays, the next poll tries again.
      LOG.warn("cannot follow {}: {}", fqrn, e.getMessage());
    }
  }

  private void download() throws IOException {
    for (String name : TOP_LEVEL_FILES) {
      Optional<byte[]> content = storage.servedFile(name);
      if (content.isPresent()) {
        AtomicFiles.write(served().resolve(name), content.get());
      }
    }
  }

  String fqrn() {
    return fqrn;
  }

  Path served() {
    return layout.served(fqrn);
  }

  DataLayout layout() {
    return layout;
  }

  RepositoryKeys keys() {
    return keys;
  }

  FollowedStorage storage() {
    return storage;
  }

  /** The writer as its lease last named it. */
  WriterLease.Holder writer() {
    return lease.holder();
  }

  @Override
  public void close() {
    poller.shutdownNow();
  }
}
