package io.ephemeral.cvmfs.dataplane.api;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ephemeral.cvmfs.common.format.Whitelist;
import io.ephemeral.cvmfs.dataplane.publish.PublishException;
import io.ephemeral.cvmfs.dataplane.publish.PublishService;
import io.ephemeral.cvmfs.dataplane.publish.Publisher;
import io.ephemeral.cvmfs.dataplane.repository.Head;
import io.ephemeral.cvmfs.dataplane.repository.Publication;
import io.ephemeral.cvmfs.dataplane.repository.Repository;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The summary of a repository for {@code GET /api/v1/repos/{fqrn}}. The bytes stored are
 * measured by walking the object store, which is slow for large stores, so the figure is cached
 * for a short while.
 */
public final class ApiRepositoryInfo {

  private static final Duration STORED_BYTES_CACHE = Duration.ofSeconds(30);

  private final PublishService service;
  private final Clock clock;
  private final Map<String, Measurement> stored = new ConcurrentHashMap<>();

  public ApiRepositoryInfo(PublishService service, Clock clock) {
    this.service = service;
    this.clock = clock;
  }

  ObjectNode describe(String fqrn) throws IOException {
    Publisher publisher = service.publisher(fqrn);
    Repository repository = publisher.repository();
    Head head = repository.head().orElseThrow(() -> new PublishException(PublishException.Reason.NOT_FOUND,
        fqrn + " has no revision yet"));
    List<Publication> publications = publisher.committer().publications();
    ObjectNode node = JsonResponses.JSON.createObjectNode()
        .put("fqrn", fqrn)
        .put("revision", head.revision())
        .put("rootCatalog", head.rootCatalog().toString())
        .put("publishedAt", Instant.ofEpochSecond(head.timestamp()).toString())
        .put("publications", publications.size())
        .put("files", publications.stream().mapToLong(Publication::files).sum())
        .put("bytes", publications.stream().mapToLong(Publication::bytes).sum())
        .put("bytesStored", storedBytes(fqrn, repository));
    node.put("storage", repository.storageDescription());
    node.put("role", "writer");
    node.put("writer", repository.writer().orElse(null));
    node.put("whitelistExpiresAt", repository.servedWhitelist().map(Whitelist::clientExpiry).map(Instant::toString).orElse(null));
    return node;
  }

  private long storedBytes(String fqrn, Repository repository) throws IOException {
    Instant now = clock.instant();
    Measurement cached = stored.get(fqrn);
    if (cached != null && cached.at.plus(STORED_BYTES_CACHE).isAfter(now)) {
      return cached.bytes;
    }
    long bytes = repository.objects().storedBytes();
    stored.put(fqrn, new Measurement(now, bytes));
    return bytes;
  }

  private record Measurement(Instant at, long bytes) {}
}
