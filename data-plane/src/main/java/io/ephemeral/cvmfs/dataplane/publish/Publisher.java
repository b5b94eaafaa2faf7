package io.ephemeral.cvmfs.dataplane.publish;

import io.ephemeral.cvmfs.dataplane.publish.source.TreeSource;
import io.ephemeral.cvmfs.dataplane.repository.Head;
import io.ephemeral.cvmfs.dataplane.repository.Publication;
import io.ephemeral.cvmfs.dataplane.repository.Repository;
import io.ephemeral.cvmfs.dataplane.repository.RepositoryPath;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.function.Consumer;

/** Publishes trees into one repository: ingest on the caller's thread, then a group commit. */
public final class Publisher implements AutoCloseable {

  private final Repository repository;
  private final Committer committer;
  private final PublicationIngest ingest;
  private final PublicationCopy copies;
  private final List<Consumer<PublishResult>> listeners = new CopyOnWriteArrayList<>();

  private Publisher(Repository repository, Committer committer, ObjectPipeline pipeline) {
    this.repository = repository;
    this.committer = committer;
    this.ingest = new PublicationIngest(repository, pipeline);
    this.copies = new PublicationCopy(repository);
  }

  /** Starts publishing into an open repository, committing its first revision if it has none. */
  public static Publisher start(Repository repository, ObjectPipeline pipeline) throws IOException {
    return new Publisher(repository, Committer.start(repository), pipeline);
  }

  public Repository repository() {
    return repository;
  }

  public Committer committer() {
    return committer;
  }

  /** Told about every publication once its revision is served, on the publishing thread. */
  public void onPublished(Consumer<PublishResult> listener) {
    listeners.add(listener);
  }

  /**
   * Publishes {@code source} at {@code path} and returns once the revision carrying it is
   * served.
   *
   * @param expiresAt when the publication is to disappear, or {@code null} for never
   */
  public PublishResult publish(String path, TreeSource source, Instant expiresAt, boolean overwrite) throws IOException {
    return publish(path, source, expiresAt, overwrite, null);
  }

  /** As {@link #publish(String, TreeSource, Instant, boolean)}, recording the digest of the bytes {@code source} reads. */
  public PublishResult publish(String path, TreeSource source, Instant expiresAt, boolean overwrite, String digest)
      throws IOException {
    String normalized = RepositoryPath.normalize(path);
    long start = System.nanoTime();
    try (var write = repository.activeWrites().begin()) {
      return commit(ingest.ingest(normalized, source).withSource(digest), expiresAt, overwrite, start);
    }
  }

  /** Publishes one file at {@code path}, which names the file itself. */
  public PublishResult publishFile(String path, InputStream content, long size, Instant expiresAt, boolean overwrite)
      throws IOException {
    return publishFile(path, content, size, expiresAt, overwrite, null);
  }

  /** As {@link #publishFile(String, InputStream, long, Instant, boolean)}, recording the digest of {@code content}. */
  public PublishResult publishFile(String path, InputStream content, long size, Instant expiresAt, boolean overwrite,
      String digest) throws IOException {
    String normalized = RepositoryPath.normalize(path);
    long start = System.nanoTime();
    try (var write = repository.activeWrites().begin()) {
      IngestedPublication ingested = ingest.ingestFile(normalized, content, size, 0644).withSource(digest);
      return commit(ingested, expiresAt, overwrite, start);
    }
  }

  /**
   * Publishes the content of the live publication {@code from} again at {@code path}, without
   * its source: the objects are shared, only a catalog is written.
   */
  public PublishResult copy(Publication from, String path, Instant expiresAt, boolean overwrite) throws IOException {
    String normalized = RepositoryPath.normalize(path);
    long start = System.nanoTime();
    try (var write = repository.activeWrites().begin()) {
      return commit(copies.copy(from, normalized), expiresAt, overwrite, start);
    }
  }

  private PublishResult commit(IngestedPublication ingested, Instant expiresAt, boolean overwrite, long start)
      throws IOException {
    long ingestDone = System.nanoTime();
    Head head = await(committer.add(ingested, expiresAt, overwrite));
    PublishResult result = new PublishResult(ingested.path(), head.revision(), ingested.files(), ingested.bytes(),
        ingested.objectsWritten(), ingested.objectsReused(), expiresAt, Duration.ofNanos(ingestDone - start),
        Duration.ofNanos(System.nanoTime() - ingestDone), 0);
    listeners.forEach(listener -> listener.accept(result));
    return result;
  }

  /** Removes the publication at {@code path} in a new revision. */
  public Head remove(String path) throws IOException {
    return await(committer.remove(RepositoryPath.normalize(path)));
  }

  static <T> T await(CompletableFuture<T> future) throws IOException {
    try {
      return future.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while waiting for the commit");
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof IOException io) {
        throw io;
      }
      if (cause instanceof UncheckedIOException unchecked) {
        throw unchecked.getCause();
      }
      throw new IOException(cause.getMessage(), cause);
    }
  }

  @Override
  public void close() throws IOException {
    committer.close();
    repository.close();
  }
}
