package io.ephemeral.cvmfs.dataplane.storage;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ephemeral.cvmfs.dataplane.DaemonTimer;
import io.ephemeral.cvmfs.dataplane.repository.RepositoryLockedException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The right to write one repository, held as a small object in the bucket: who holds it and
 * until when. It is taken with a conditional write (absent, or unchanged since it was seen to
 * lapse), so two processes never both take it, and renewed the same way a third of its term
 * before it would lapse. A renewal that fails marks it lost; the writes it guards then fail.
 * The holder is asked for at every write, so the URL it gives followers can appear once known.
 */
public final class WriterLease implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(WriterLease.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final S3Bucket bucket;
  private final String key;
  private final Supplier<Holder> holder;
  private final Duration term;
  private final Clock clock;
  private final ScheduledExecutorService renewals;
  private volatile String etag;
  private final Runnable onLost;
  private final AtomicBoolean lost = new AtomicBoolean();

  private WriterLease(S3Bucket bucket, String key, Supplier<Holder> holder, Duration term, Clock clock, String etag,
      Runnable onLost) {
    this.bucket = bucket;
    this.onLost = onLost;
    this.key = key;
    this.holder = holder;
    this.term = term;
    this.clock = clock;
    this.etag = etag;
    this.renewals = DaemonTimer.named("writer-lease");
    long period = Math.max(1, term.toMillis() / 3);
    renewals.scheduleWithFixedDelay(this::renewQuietly, period, period, TimeUnit.MILLISECONDS);
  }

  /**
   * Takes the lease at {@code key}.
   *
   * @throws RepositoryLockedException if another process holds it and it has not lapsed
   */
  static WriterLease acquire(S3Bucket bucket, String key, Supplier<Holder> holder, Duration term, Clock clock,
      Runnable onLost) throws IOException {
    Optional<S3Bucket.Versioned> current = bucket.getVersioned(key);
    S3Bucket.Precondition precondition = S3Bucket.Precondition.ABSENT;
    if (current.isPresent()) {
      Held held = parse(current.get().content());
      if (held.until().isAfter(clock.instant())) {
        throw new WriterLeaseHeldException("s3://" + bucket.settings().bucket() + "/" + key + " says "
            + held.holder().name() + " writes this repository until " + held.until()
            + "; a second writer would fork its history. Stop that one, or wait for its lease to lapse.", held);
      }
      precondition = S3Bucket.Precondition.unchanged(current.get().etag());
    }
    try {
      String etag = bucket.put(key, bytes(holder.get(), clock.instant().plus(term)), S3Bucket.Exposure.PRIVATE, precondition);
      LOG.info("took the writer lease {} for {}", key, term);
      return new WriterLease(bucket, key, holder, term, clock, etag, onLost);
    } catch (S3Bucket.PreconditionFailedException e) {
      throw new RepositoryLockedException("another process took the writer lease s3://" + bucket.settings().bucket()
          + "/" + key + " at the same moment; it is the writer");
    }
  }

  /**
   * Renews the lease now.
   *
   * @throws WriterLostException if it was lost
   */
  void check() throws IOException {
    renew();
  }

  String holderName() {
    return holder.get().name();
  }

  /** Another process wrote what this lease guards: it is lost, whatever the lease object says. */
  void markLost() {
    if (lost.compareAndSet(false, true)) {
      onLost.run();
    }
  }

  private synchronized void renew() throws IOException {
    if (lost.get()) {
      throw lostException();
    }
    try {
      etag = bucket.put(key, bytes(holder.get(), clock.instant().plus(term)), S3Bucket.Exposure.PRIVATE,
          S3Bucket.Precondition.unchanged(etag));
    } catch (S3Bucket.PreconditionFailedException e) {
      markLost();
      throw lostException();
    }
  }

  private void renewQuietly() {
    try {
      renew();
    } catch (WriterLostException e) {
      LOG.error("{}", e.getMessage());
      renewals.shutdown();
    } catch (IOException | RuntimeException e) {
      // The store may be briefly out of reach; the next renewal, well within the term, tries again.
      LOG.warn("cannot renew the writer lease {}: {}", key, e.getMessage());
    }
  }

  private WriterLostException lostException() {
    return new WriterLostException("this process lost the writer lease s3://" + bucket.settings().bucket() + "/" + key
        + " to another process; it writes nothing more");
  }

  /** Gives the lease up, unless it was lost: the next writer need not wait for it to lapse. */
  @Override
  public synchronized void close() {
    renewals.shutdownNow();
    if (lost.get()) {
      return;
    }
    try {
      bucket.deleteIfMatch(key, etag);
    } catch (IOException e) {
      LOG.warn("cannot give up the writer lease {}: {}; it lapses in {}", key, e.getMessage(), term);
    }
  }

  /** Reads the lease at {@code key}: who holds it, or held it last, and until when; empty if there is none. */
  static Optional<Held> read(S3Bucket bucket, String key) throws IOException {
    Optional<byte[]> content = bucket.get(key);
    return content.isEmpty() ? Optional.empty() : Optional.of(parse(content.get()));
  }

  private static byte[] bytes(Holder holder, Instant until) {
    return JSON.createObjectNode().put("holder", holder.name()).put("url", holder.url()).put("until", until.toString())
        .toString().getBytes(StandardCharsets.UTF_8);
  }

  private static Held parse(byte[] content) throws IOException {
    JsonNode lease;
    try {
      lease = JSON.readTree(content);
    } catch (IOException e) {
      throw new IOException("the writer lease is not JSON: " + e.getMessage(), e);
    }
    String url = lease.path("url").asText("");
    return new Held(new Holder(lease.path("holder").asText("another process"), url.isEmpty() ? null : url),
        Instant.parse(lease.path("until").asText(Instant.EPOCH.toString())));
  }

  /**
   * A process that writes repositories.
   *
   * @param name its host and a random suffix
   * @param url where its API is reached, for followers to send writes to; {@code null} if unknown
   */
  public record Holder(String name, String url) {}

  /** A lease as read: its holder and when it lapses unless renewed. */
  public record Held(Holder holder, Instant until) {}
}
