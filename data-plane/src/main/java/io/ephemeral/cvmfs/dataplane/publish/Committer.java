package io.ephemeral.cvmfs.dataplane.publish;

import io.ephemeral.cvmfs.dataplane.repository.Head;
import io.ephemeral.cvmfs.dataplane.repository.Publication;
import io.ephemeral.cvmfs.dataplane.repository.Repository;
import io.ephemeral.cvmfs.dataplane.repository.RepositoryPath;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;

/**
 * The single writer of revisions. Changes queue up while a commit runs; the next commit takes
 * all of them at once (group commit), so many concurrent publications cost one root catalog,
 * one signature and one manifest swap.
 */
public final class Committer implements AutoCloseable {

  private final Repository repository;
  private final ExecutorService thread;
  private final RootCatalog rootCatalog;
  private final ConcurrentLinkedQueue<Pending> queue = new ConcurrentLinkedQueue<>();
  private final List<Consumer<Head>> listeners = new CopyOnWriteArrayList<>();
  // Touched only on the committer thread, published by replacing the snapshot.
  private final Map<String, Publication> live = new TreeMap<>();
  private volatile List<Publication> snapshot;

  private Committer(Repository repository) throws IOException {
    this.repository = repository;
    this.rootCatalog = new RootCatalog(repository);
    repository.publications().forEach(p -> live.put(p.path(), p));
    this.snapshot = List.copyOf(live.values());
    this.thread = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "committer-" + repository.fqrn());
      t.setDaemon(true);
      return t;
    });
  }

  /** Starts committing for {@code repository}; a repository without any revision gets an empty one. */
  public static Committer start(Repository repository) throws IOException {
    Committer committer = new Committer(repository);
    if (repository.head().isEmpty()) {
      committer.commit(List.of());
    }
    return committer;
  }

  public Repository repository() {
    return repository;
  }

  /** The live publications as of the last commit. */
  public List<Publication> publications() {
    return snapshot;
  }

  /** Called on the committer thread after each new manifest is in place. */
  public void onRevision(Consumer<Head> listener) {
    listeners.add(listener);
  }

  public CompletableFuture<Head> add(IngestedPublication publication, Instant expiresAt, boolean overwrite) {
    return submit(new Pending(new Change.Add(publication, expiresAt, overwrite)));
  }

  public CompletableFuture<Head> remove(String path) {
    return submit(new Pending(new Change.Remove(path)));
  }

  /**
   * Makes {@code publications} (those not expired yet) the live ones, in one new revision: a
   * rollback to the publications of a tagged revision. Revisions still only go forward.
   */
  public CompletableFuture<Head> restore(List<Publication> publications) {
    return submit(new Pending(new Change.Restore(List.copyOf(publications), new ArrayList<>())));
  }

  /**
   * Removes every publication whose expiry has passed, in one revision. Completes with the
   * removed paths, empty when nothing had expired.
   */
  public CompletableFuture<List<String>> expire(Instant now) {
    return CompletableFuture.supplyAsync(() -> live.values().stream()
        .filter(p -> p.expiresAt() != null && !p.expiresAt().isAfter(now))
        .map(Publication::path)
        .toList(), thread).thenCompose(expired -> {
          CompletableFuture<?>[] removals = expired.stream().map(this::remove).toArray(CompletableFuture[]::new);
          return CompletableFuture.allOf(removals).thenApply(done -> expired);
        });
  }

  /** Changes when a publication expires; this needs no new revision. */
  public CompletableFuture<Publication> setExpiry(String path, Instant expiresAt) {
    return CompletableFuture.supplyAsync(() -> {
      Publication current = live.get(path);
      if (current == null) {
        throw new java.util.concurrent.CompletionException(
            new PublishException(PublishException.Reason.NOT_FOUND, path + " is not published"));
      }
      Publication updated = current.withExpiry(expiresAt);
      try {
        repository.updatePublication(updated);
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
      live.put(path, updated);
      snapshot = List.copyOf(live.values());
      return updated;
    }, thread);
  }

  private CompletableFuture<Head> submit(Pending pending) {
    queue.add(pending);
    thread.execute(this::drain);
    return pending.result;
  }

  private void drain() {
    List<Pending> batch = new ArrayList<>();
    for (Pending pending; (pending = queue.poll()) != null; ) {
      batch.add(pending);
    }
    if (batch.isEmpty()) {
      return;
    }
    List<Pending> accepted = new ArrayList<>();
    Map<String, Publication> before = new TreeMap<>(live);
    for (Pending pending : batch) {
      Optional<PublishException> refusal = apply(pending.change);
      if (refusal.isPresent()) {
        pending.result.completeExceptionally(refusal.get());
      } else {
        accepted.add(pending);
      }
    }
    if (accepted.isEmpty()) {
      return;
    }
    try {
      Head head = commit(accepted.stream().map(p -> p.change).toList());
      accepted.forEach(p -> p.result.complete(head));
    } catch (IOException | RuntimeException e) {
      live.clear();
      live.putAll(before);
      accepted.forEach(p -> p.result.completeExceptionally(e));
    }
  }

  private Optional<PublishException> apply(Change change) {
    if (change instanceof Change.Add add) {
      String path = add.publication.path();
      for (String existing : live.keySet()) {
        boolean same = existing.equals(path);
        if (same && !add.overwrite) {
          return Optional.of(new PublishException(PublishException.Reason.CONFLICT, path + " is already published"));
        }
        if (!same && RepositoryPath.overlaps(existing, path)) {
          return Optional.of(new PublishException(PublishException.Reason.CONFLICT,
              path + " overlaps the publication at " + existing));
        }
      }
      live.put(path, add.publication.toPublication(0, repository.clock().instant(), add.expiresAt));
    } else if (change instanceof Change.Remove remove) {
      if (live.remove(remove.path) == null) {
        return Optional.of(new PublishException(PublishException.Reason.NOT_FOUND, remove.path + " is not published"));
      }
    } else if (change instanceof Change.Restore restore) {
      Instant now = repository.clock().instant();
      restore.dropped.addAll(live.keySet());
      live.clear();
      for (Publication publication : restore.publications) {
        if (publication.expiresAt() == null || publication.expiresAt().isAfter(now)) {
          live.put(publication.path(), publication);
        }
      }
      restore.dropped.removeAll(live.keySet());
    }
    return Optional.empty();
  }

  private Head commit(List<Change> changes) throws IOException {
    try (var write = repository.activeWrites().begin()) {
      return commitRegistered(changes);
    }
  }

  private Head commitRegistered(List<Change> changes) throws IOException {
    long revision = repository.nextRevision();
    long timestamp = repository.nextTimestamp();
    Map<String, Publication> upserts = new LinkedHashMap<>();
    List<String> removals = new ArrayList<>();
    for (Change change : changes) {
      if (change instanceof Change.Add add) {
        String path = add.publication.path();
        upserts.put(path, live.get(path).withRevision(revision));
        live.put(path, upserts.get(path));
      } else if (change instanceof Change.Remove remove) {
        upserts.remove(remove.path);
        removals.add(remove.path);
      } else if (change instanceof Change.Restore restore) {
        upserts.clear();
        removals.addAll(restore.dropped);
        for (Map.Entry<String, Publication> entry : live.entrySet()) {
          upserts.put(entry.getKey(), entry.getValue().withRevision(revision));
          entry.setValue(upserts.get(entry.getKey()));
        }
      }
    }
    Head previous = repository.head().orElse(null);
    Head head = rootCatalog.build(live.values(), revision, timestamp, previous == null ? null : previous.rootCatalog());
    repository.recordRevision(head, upserts.values(), removals);
    snapshot = List.copyOf(live.values());
    for (Consumer<Head> listener : listeners) {
      listener.accept(head);
    }
    return head;
  }

  /** Finishes the commits already queued, then stops. */
  @Override
  public void close() {
    thread.shutdown();
    try {
      if (thread.awaitTermination(1, java.util.concurrent.TimeUnit.MINUTES)) {
        rootCatalog.close();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (IOException e) {
      // The kept root catalog is only a cache: the next start builds afresh and replaces it.
    }
  }

  private sealed interface Change {
    record Add(IngestedPublication publication, Instant expiresAt, boolean overwrite) implements Change {}

    record Remove(String path) implements Change {}

    /** {@code dropped}: the live paths the restored set lacks, filled in when the change is applied. */
    record Restore(List<Publication> publications, List<String> dropped) implements Change {}
  }

  private record Pending(Change change, CompletableFuture<Head> result) {
    Pending(Change change) {
      this(change, new CompletableFuture<>());
    }
  }
}
