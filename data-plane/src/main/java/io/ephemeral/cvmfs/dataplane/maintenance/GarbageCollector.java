package io.ephemeral.cvmfs.dataplane.maintenance;

import io.ephemeral.cvmfs.common.format.ContentHash;
import io.ephemeral.cvmfs.dataplane.repository.Head;
import io.ephemeral.cvmfs.dataplane.repository.Repository;
import io.ephemeral.cvmfs.dataplane.repository.Tag;
import io.ephemeral.cvmfs.dataplane.storage.ObjectStore;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/**
 * Mark and sweep over one repository's object store, safe while publications go on (format.md 12.2).
 *
 * <ol>
 *   <li>Fence: the start of the run, or of the oldest write still under way if earlier. Nothing
 *       modified after it is deleted: objects of publications not yet committed, and objects a
 *       publication found already stored and touched.
 *   <li>Mark: the trees of the current root catalog and of every root catalog current within
 *       the grace period go into a Bloom filter, with the certificate.
 *   <li>Sweep: every object older than the fence and not in the filter is deleted.
 *   <li>The condemned root catalogs leave the reflog.
 * </ol>
 */
public final class GarbageCollector {

  /** The shortest grace period: clients may read a revision for a TTL plus cache drains and retries. */
  public static final Duration MIN_GRACE = Duration.ofMinutes(5);

  // File systems with coarse time stamps may round a fresh modification time down.
  private static final Duration FENCE_MARGIN = Duration.ofSeconds(2);

  private final Repository repository;
  private final Duration grace;
  private final ReentrantLock running = new ReentrantLock();
  private final List<Consumer<GcResult>> listeners = new CopyOnWriteArrayList<>();

  public GarbageCollector(Repository repository, Duration grace) {
    this.repository = repository;
    this.grace = grace;
  }

  /** Twice the manifest TTL, at least {@link #MIN_GRACE}. */
  public static Duration defaultGrace(long manifestTtlSeconds) {
    Duration twice = Duration.ofSeconds(2 * manifestTtlSeconds);
    return twice.compareTo(MIN_GRACE) < 0 ? MIN_GRACE : twice;
  }

  public Repository repository() {
    return repository;
  }

  public Duration grace() {
    return grace;
  }

  /** Told about every finished collection, dry runs included. */
  public void onResult(Consumer<GcResult> listener) {
    listeners.add(listener);
  }

  /** Runs one collection; a second caller waits for the first to finish. */
  public GcResult collect(boolean dryRun) throws IOException {
    running.lock();
    try {
      GcResult result = collectLocked(dryRun);
      listeners.forEach(listener -> listener.accept(result));
      return result;
    } finally {
      running.unlock();
    }
  }

  private GcResult collectLocked(boolean dryRun) throws IOException {
    long started = System.nanoTime();
    // The fence comes before the head is read: any revision committed later consists of objects
    // written or touched after it.
    Instant now = Instant.now();
    Instant fence = repository.activeWrites().oldestStart().filter(oldest -> oldest.isBefore(now)).orElse(now)
        .minus(FENCE_MARGIN);
    Head head = repository.head().orElseThrow(() -> new IOException(repository.fqrn() + " has no revision yet"));
    long cutoff = repository.clock().instant().minus(grace).getEpochSecond();
    PreservedRevisions revisions = PreservedRevisions.select(head.rootCatalog(), repository.reflogCatalogs(), cutoff,
        repository.tags().stream().map(Tag::rootCatalog).collect(Collectors.toSet()));

    ObjectStore objects = repository.objects();
    DigestBloomFilter keep = DigestBloomFilter.forExpected(Math.max(1 << 20, 2 * objects.estimateObjects()));
    keep.add(repository.certificateObject().digest());
    repository.history().ifPresent(history -> keep.add(history.digest()));
    CatalogMarker marker = new CatalogMarker(objects, repository.scratch(), keep);
    for (ContentHash root : revisions.preserved()) {
      boolean present = marker.markTree(root);
      if (!present && root.equals(head.rootCatalog())) {
        throw new IOException("the current root catalog " + root + " is missing; not collecting " + repository.fqrn());
      }
    }
    ObjectStore.SweepTotals totals = objects.sweep(keep::mightContain, fence, dryRun);
    if (!dryRun && !revisions.condemned().isEmpty()) {
      repository.forgetCatalogs(revisions.condemned());
    }
    return new GcResult(totals.objectsFreed(), totals.bytesFreed(), totals.objectsKept(), totals.bytesKept(),
        revisions.preserved().size(), Duration.ofNanos(System.nanoTime() - started).toMillis(), dryRun);
  }
}
