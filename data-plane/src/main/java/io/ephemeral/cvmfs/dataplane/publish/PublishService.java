package io.ephemeral.cvmfs.dataplane.publish;

import io.ephemeral.cvmfs.common.publish.ImageReference;
import io.ephemeral.cvmfs.dataplane.publish.source.ArchiveSource;
import io.ephemeral.cvmfs.dataplane.publish.source.ImageArchiveSource;
import io.ephemeral.cvmfs.dataplane.publish.source.ImageFormat;
import io.ephemeral.cvmfs.dataplane.publish.source.InvalidSourceException;
import io.ephemeral.cvmfs.dataplane.publish.source.LimitExceededException;
import io.ephemeral.cvmfs.dataplane.publish.source.RegistryImageSource;
import io.ephemeral.cvmfs.dataplane.publish.source.SourceUnavailableException;
import io.ephemeral.cvmfs.dataplane.publish.source.TreeSource;
import io.ephemeral.cvmfs.dataplane.repository.Head;
import io.ephemeral.cvmfs.dataplane.repository.Publication;
import io.ephemeral.cvmfs.dataplane.repository.RepositoryLockedException;
import io.ephemeral.cvmfs.dataplane.repository.RepositoryPath;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiConsumer;

/**
 * What the publish API can do to the repositories of one data plane: publish streams, staged
 * uploads and remote archives, remove publications, change their lifetime, and expire them.
 * Every call blocks until its revision is served; call it off the event loop.
 */
public final class PublishService {

  /** How a publication's source digest is written: {@code sha256:} and the lower-case hex. */
  public static final String SOURCE_PREFIX = "sha256:";

  private final Map<String, Publisher> publishers;
  private final Map<String, StagedUploads> uploads;
  private final PublicationPolicy policy;
  private final ExpansionBound expansion;
  private final Clock clock;
  private volatile Duration registryBackoff = Duration.ofMillis(500);
  private final List<BiConsumer<String, String>> failureListeners = new CopyOnWriteArrayList<>();
  private final HttpClient http = HttpClient.newBuilder()
      .followRedirects(HttpClient.Redirect.NORMAL)
      .connectTimeout(Duration.ofSeconds(30))
      .build();

  public PublishService(Map<String, Publisher> publishers, PublicationPolicy policy, Clock clock) throws IOException {
    this.publishers = Map.copyOf(publishers);
    this.policy = policy;
    this.expansion = new ExpansionBound(policy.maxExpansionRatio());
    this.clock = clock;
    Map<String, StagedUploads> staged = new LinkedHashMap<>();
    for (Map.Entry<String, Publisher> entry : publishers.entrySet()) {
      staged.put(entry.getKey(), new StagedUploads(entry.getValue().repository().layout().uploads(entry.getKey())));
    }
    this.uploads = Map.copyOf(staged);
  }

  public PublicationPolicy policy() {
    return policy;
  }

  public Set<String> repositories() {
    return publishers.keySet();
  }

  /** The publisher of {@code fqrn}, or a NOT_FOUND refusal. */
  public Publisher publisher(String fqrn) throws PublishException {
    Publisher publisher = publishers.get(fqrn);
    if (publisher == null) {
      throw new PublishException(PublishException.Reason.NOT_FOUND, "unknown repository " + fqrn);
    }
    return publisher;
  }

  /**
   * Publishes a body at {@code path}.
   *
   * @param format what the body holds, or {@code null} to recognise a tar, tar.gz or tar.zst
   * @param ttl the requested lifetime, or {@code null} for the default
   */
  public PublishResult publish(String fqrn, String path, InputStream body, PublishFormat format, String ttl,
      boolean overwrite) throws IOException {
    return publish(fqrn, path, body, format, ttl, overwrite, null);
  }

  /**
   * As {@link #publish(String, String, InputStream, PublishFormat, String, boolean)}, with the
   * SHA-256 the client declares for the body (or {@code null}): checked as the body arrives (a
   * mismatch publishes nothing) and recorded, so the same bytes can later be published again by
   * their digest alone.
   */
  public PublishResult publish(String fqrn, String path, InputStream body, PublishFormat format, String ttl,
      boolean overwrite, String sha256) throws IOException {
    return reportingFailures(fqrn, () -> publishBody(fqrn, path,
        sha256 == null ? body : new Sha256CheckingInputStream(body, sha256), format, ttl, overwrite,
        sha256 == null ? null : SOURCE_PREFIX + sha256.toLowerCase(Locale.ROOT)));
  }

  /**
   * @param source the digest of {@code body} to record, {@code sha256:HEX}, or {@code null}; if
   *     {@code body} checks it, it is read to its end before anything is committed
   */
  private PublishResult publishBody(String fqrn, String path, InputStream body, PublishFormat format, String ttl,
      boolean overwrite, String source) throws IOException {
    Target target = target(fqrn, path, ttl, overwrite);
    Publisher publisher = target.publisher();
    String normalized = target.path();
    Instant expiresAt = target.expiresAt();
    // Every format: bytes that are no content (padding, huge headers, zeros past the end) count too.
    CountingInputStream received = new CountingInputStream(body, policy.maxUploadBytes(), "the request body");
    if (format == PublishFormat.FILE) {
      CountingInputStream limited = new CountingInputStream(received, policy.maxFileSize(), "the file");
      return publisher.publishFile(normalized, limited, -1, expiresAt, overwrite, source);
    }
    ArchiveSource.Limits limits = limits();
    if (format == PublishFormat.DOCKER_ARCHIVE || format == PublishFormat.OCI_ARCHIVE) {
      // The image is spooled whole before its layers are read; bound it as a staged upload is bounded.
      CountingInputStream image = new CountingInputStream(received, policy.maxTotalBytes(), "the image archive");
      ImageArchiveSource imageSource = new ImageArchiveSource(new BufferedInputStream(image, 1 << 16),
          format == PublishFormat.DOCKER_ARCHIVE ? ImageFormat.DOCKER_ARCHIVE : ImageFormat.OCI_ARCHIVE,
          publisher.repository().scratch(), limits);
      imageSource.boundSpool(received::count, policy.maxExpansionRatio());
      PublishResult result = publisher.publish(normalized, readToEnd(expansion.bound(imageSource, received::count), received),
          expiresAt, overwrite, source);
      return result.withSkippedSpecialFiles(imageSource.skippedSpecialFiles());
    }
    ArchiveSource archive = ArchiveSource.open(new BufferedInputStream(received, 1 << 16),
        format == null ? null : format.archive(), limits);
    return publisher.publish(normalized, readToEnd(expansion.bound(archive, received::count), received), expiresAt, overwrite,
        source);
  }

  /**
   * {@code source}, then the rest of {@code body} read: a digest is only known, and checked, at
   * the end of the bytes, and an archive may end before them (the remaining bytes count against
   * the body's limit as they always do).
   */
  private static TreeSource readToEnd(TreeSource source, InputStream body) {
    return visitor -> {
      source.walk(visitor);
      body.transferTo(OutputStream.nullOutputStream());
    };
  }

  /** Publishes the content of a live publication whose source had digest {@code source} again at {@code path}. */
  public PublishResult publishKnown(String fqrn, String path, String source, String ttl, boolean overwrite)
      throws IOException {
    return reportingFailures(fqrn, () -> {
      Target target = target(fqrn, path, ttl, overwrite);
      Publication from = withSource(fqrn, source).stream().findFirst().orElseThrow(() -> new PublishException(
          PublishException.Reason.NOT_FOUND, "no live publication was published from " + source));
      return target.publisher().copy(from, target.path(), target.expiresAt(), overwrite);
    });
  }

  /** The live publications published from the bytes with digest {@code source} ({@code sha256:HEX}). */
  public List<Publication> withSource(String fqrn, String source) throws PublishException {
    return publisher(fqrn).committer().publications().stream().filter(p -> source.equals(p.source())).toList();
  }

  /** Publishes a staged upload, recognising its format unless given; the upload is consumed. */
  public PublishResult publishUpload(String fqrn, String path, String uploadId, PublishFormat format, String ttl,
      boolean overwrite) throws IOException {
    return reportingFailures(fqrn, () -> publishStaged(fqrn, path, uploadId, format, ttl, overwrite));
  }

  private PublishResult publishStaged(String fqrn, String path, String uploadId, PublishFormat format, String ttl,
      boolean overwrite) throws IOException {
    StagedUploads staged = uploads.get(publisher(fqrn).repository().fqrn());
    Path file = staged.find(uploadId).orElseThrow(() -> new PublishException(PublishException.Reason.NOT_FOUND,
        "no staged upload with id " + uploadId));
    PublishResult result = publishFile(fqrn, path, file, format, ttl, overwrite,
        staged.sha256(uploadId).map(digest -> SOURCE_PREFIX + digest).orElse(null));
    staged.delete(uploadId);
    return result;
  }

  private PublishResult publishFile(String fqrn, String path, Path file, PublishFormat format, String ttl,
      boolean overwrite, String source) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      return publishBody(fqrn, path, in, format, ttl, overwrite, source);
    }
  }

  /** Downloads an archive, checks its SHA-256 if given, and publishes it. */
  public PublishResult publishUrl(String fqrn, String path, String url, String sha256, PublishFormat format, String ttl,
      boolean overwrite) throws IOException {
    return reportingFailures(fqrn, () -> publishFetched(fqrn, path, url, sha256, format, ttl, overwrite));
  }

  private PublishResult publishFetched(String fqrn, String path, String url, String sha256, PublishFormat format,
      String ttl, boolean overwrite) throws IOException {
    URI uri;
    try {
      uri = URI.create(url);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("invalid url '" + url + "'");
    }
    if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())) {
      throw new IllegalArgumentException("url must be http or https: " + url);
    }
    Publisher publisher = publisher(fqrn);
    refuseTakenPath(publisher, RepositoryPath.normalize(path), overwrite);
    // The download goes to scratch, not among the staged uploads: nobody knows its id, so only
    // this call can claim it, and the scratch folder is emptied at every start, whatever a crash
    // left there.
    StagedUploads downloads = new StagedUploads(publisher.repository().scratch());
    StagedUploads.Upload upload;
    try {
      HttpResponse<InputStream> response = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofMinutes(30)).GET().build(),
          HttpResponse.BodyHandlers.ofInputStream());
      try (InputStream body = response.body()) {
        if (response.statusCode() / 100 != 2) {
          throw new SourceUnavailableException("fetching " + url + " answered HTTP " + response.statusCode());
        }
        upload = downloads.store(body, policy.maxUploadBytes(), sha256);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new java.io.InterruptedIOException("interrupted while fetching " + url);
    } catch (java.net.ConnectException | java.net.http.HttpTimeoutException e) {
      throw new SourceUnavailableException("cannot fetch " + url + ": " + e);
    }
    try {
      return publishFile(fqrn, path, downloads.find(upload.id()).orElseThrow(), format, ttl, overwrite,
          SOURCE_PREFIX + upload.sha256());
    } finally {
      downloads.delete(upload.id());
    }
  }

  /** An image in a registry, as a publish names it. */
  public record ImageSource(ImageReference image, String platform, String username, String password) {}

  /**
   * Pulls an image from a registry and publishes its flattened root file system. Its layers are
   * held to the bytes an image archive may have, the tree to the publication limits. No source
   * digest is recorded: the publication's {@code source} names uploaded bytes, which there are none of.
   */
  public PublishResult publishImage(String fqrn, String path, ImageSource image, String ttl, boolean overwrite)
      throws IOException {
    return reportingFailures(fqrn, () -> {
      Target target = target(fqrn, path, ttl, overwrite);
      RegistryImageSource source = new RegistryImageSource(image.image(), image.platform(), image.username(),
          image.password(), target.publisher().repository().scratch(), limits(),
          maxBodyBytes(PublishFormat.DOCKER_ARCHIVE)).withBackoff(registryBackoff);
      PublishResult result = target.publisher().publish(target.path(), expansion.bound(source, source::received),
          target.expiresAt(), overwrite, null);
      return result.withSkippedSpecialFiles(source.skippedSpecialFiles());
    });
  }

  /** The pause before the first retry of a registry request that failed transiently; tests shorten it. */
  public void registryBackoff(Duration backoff) {
    this.registryBackoff = backoff;
  }

  private ArchiveSource.Limits limits() {
    return new ArchiveSource.Limits(policy.maxEntries(), policy.maxFileSize(), policy.maxTotalBytes());
  }

  /**
   * Told about every publication that fails, with the repository and a reason from {@link
   * #failureReason}, on the publishing thread. Only for the repositories served here: a name a
   * client made up is not reported.
   */
  public void onFailure(BiConsumer<String, String> listener) {
    failureListeners.add(listener);
  }

  /**
   * A short, fixed name for why a publication failed: {@code conflict}, {@code not_found}, {@code
   * limit_exceeded}, {@code source_unavailable}, {@code invalid_source}, {@code invalid_request},
   * {@code locked}, {@code io_error} or {@code internal_error}.
   */
  public static String failureReason(Throwable failure) {
    if (failure instanceof PublishException e) {
      return e.reason().name().toLowerCase(java.util.Locale.ROOT);
    }
    if (failure instanceof LimitExceededException) {
      return "limit_exceeded";
    }
    if (failure instanceof SourceUnavailableException) {
      return "source_unavailable";
    }
    if (failure instanceof InvalidSourceException) {
      return "invalid_source";
    }
    if (failure instanceof IllegalArgumentException) {
      return "invalid_request";
    }
    if (failure instanceof RepositoryLockedException) {
      return "locked";
    }
    return failure instanceof IOException ? "io_error" : "internal_error";
  }

  private interface PublishCall {
    PublishResult run() throws IOException;
  }

  private PublishResult reportingFailures(String fqrn, PublishCall publication) throws IOException {
    try {
      return publication.run();
    } catch (IOException | RuntimeException e) {
      if (publishers.containsKey(fqrn)) {
        String reason = failureReason(e);
        for (BiConsumer<String, String> listener : failureListeners) {
          listener.accept(fqrn, reason);
        }
      }
      throw e;
    }
  }

  public StagedUploads.Upload stage(String fqrn, InputStream body) throws IOException {
    publisher(fqrn);
    return uploads.get(fqrn).store(body, policy.maxUploadBytes(), null);
  }

  /**
   * Most bytes a body sent to {@link #publish} or {@link #stage} may have; a route can refuse a
   * larger declared {@code Content-Length} from the head.
   */
  public long maxUploadBytes() {
    return policy.maxUploadBytes();
  }

  /**
   * Most bytes {@link #publish} reads of a body in {@code format} ({@code null}: recognised from
   * its first bytes): a route knowing the format can refuse a larger declared {@code Content-Length}
   * from the head, with the limit a publish would name.
   */
  public long maxBodyBytes(PublishFormat format) {
    if (format == PublishFormat.FILE) {
      return Math.min(policy.maxFileSize(), policy.maxUploadBytes());
    }
    if (format == PublishFormat.DOCKER_ARCHIVE || format == PublishFormat.OCI_ARCHIVE) {
      return Math.min(policy.maxTotalBytes(), policy.maxUploadBytes());
    }
    return policy.maxUploadBytes();
  }

  public Head remove(String fqrn, String path) throws IOException {
    return publisher(fqrn).remove(path);
  }

  public Publication setTtl(String fqrn, String path, String ttl) throws IOException {
    Instant expiresAt = clock.instant().plus(policy.ttl(ttl));
    return Publisher.await(publisher(fqrn).committer().setExpiry(RepositoryPath.normalize(path), expiresAt));
  }

  public List<Publication> publications(String fqrn) throws PublishException {
    return publisher(fqrn).committer().publications();
  }

  public Optional<Publication> publication(String fqrn, String path) throws PublishException {
    String normalized = RepositoryPath.normalize(path);
    return publications(fqrn).stream().filter(p -> p.path().equals(normalized)).findFirst();
  }

  /** Removes the expired publications of one repository in one revision; returns their paths. */
  public List<String> expire(String fqrn) throws IOException {
    return Publisher.await(publisher(fqrn).committer().expire(clock.instant()));
  }

  /** Removes expired publications and stale uploads of every repository; returns the removed paths. */
  public Map<String, List<String>> expire() throws IOException {
    Instant now = clock.instant();
    Map<String, List<String>> removed = new LinkedHashMap<>();
    for (Map.Entry<String, Publisher> entry : publishers.entrySet()) {
      removed.put(entry.getKey(), Publisher.await(entry.getValue().committer().expire(now)));
      uploads.get(entry.getKey()).expire(now, policy.uploadTtl());
    }
    return removed;
  }

  /** Where a publish goes: its repository's publisher, the normalised path, and when it expires. */
  private record Target(Publisher publisher, String path, Instant expiresAt) {}

  /** The target of a publish, refused when the path is taken (unless {@code overwrite}), before anything is read. */
  private Target target(String fqrn, String path, String ttl, boolean overwrite) throws PublishException {
    Publisher publisher = publisher(fqrn);
    String normalized = RepositoryPath.normalize(path);
    Instant expiresAt = clock.instant().plus(policy.ttl(ttl));
    refuseTakenPath(publisher, normalized, overwrite);
    return new Target(publisher, normalized, expiresAt);
  }

  private static void refuseTakenPath(Publisher publisher, String path, boolean overwrite) throws PublishException {
    if (overwrite) {
      return;
    }
    for (Publication existing : publisher.committer().publications()) {
      if (RepositoryPath.overlaps(existing.path(), path)) {
        throw new PublishException(PublishException.Reason.CONFLICT, existing.path().equals(path)
            ? path + " is already published" : path + " overlaps the publication at " + existing.path());
      }
    }
  }
}
