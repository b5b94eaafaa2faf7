package io.ephemeral.cvmfs.dataplane.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ephemeral.cvmfs.dataplane.publish.PublishOperation;
import io.ephemeral.cvmfs.dataplane.publish.PublishResult;
import io.ephemeral.cvmfs.dataplane.repository.Publication;
import java.time.Instant;
import java.util.Locale;

/** The JSON shapes of the publish API, which the command line prints too. */
public final class ApiJson {

  private ApiJson() {}

  public static ObjectNode published(PublishResult result) {
    ObjectNode node = JsonResponses.JSON.createObjectNode()
        .put("path", result.path())
        .put("revision", result.revision())
        .put("files", result.files())
        .put("bytes", result.bytes())
        .put("objectsWritten", result.objectsWritten())
        .put("objectsReused", result.objectsReused())
        .put("skippedSpecialFiles", result.skippedSpecialFiles())
        .put("expiresAt", instant(result.expiresAt()));
    node.putObject("timings")
        .put("ingestMs", result.ingest().toMillis())
        .put("commitMs", result.commit().toMillis())
        .put("totalMs", result.ingest().plus(result.commit()).toMillis());
    return node;
  }

  /**
   * An operation: {@code state} {@code running}, {@code succeeded} with the {@code result} a
   * synchronous publish answers, or {@code failed} with the {@code error} it would have answered
   * ({@code status}, {@code error}, {@code detail}).
   */
  static ObjectNode operation(PublishOperation operation) {
    ObjectNode node = JsonResponses.JSON.createObjectNode()
        .put("id", operation.id())
        .put("path", operation.path())
        .put("state", operation.state().name().toLowerCase(Locale.ROOT))
        .put("startedAt", instant(operation.startedAt()))
        .put("finishedAt", instant(operation.finishedAt()));
    if (operation.result() != null) {
      node.set("result", published(operation.result()));
    }
    if (operation.failure() != null) {
      ApiError error = ApiError.from(operation.failure());
      node.putObject("error").put("status", error.status().code()).put("error", error.code())
          .put("detail", error.detail());
    }
    return node;
  }

  static ObjectNode publication(Publication publication) {
    return JsonResponses.JSON.createObjectNode()
        .put("path", publication.path())
        .put("type", publication.isFile() ? "file" : "tree")
        .put("files", publication.files())
        .put("bytes", publication.bytes())
        .put("revision", publication.revision())
        .put("createdAt", instant(publication.createdAt()))
        .put("expiresAt", instant(publication.expiresAt()))
        .put("source", publication.source());
  }

  /** A field of a request body as text, or null when absent or JSON null. */
  static String text(JsonNode node, String field) {
    JsonNode value = node.get(field);
    return value == null || value.isNull() ? null : value.asText();
  }

  static String instant(Instant instant) {
    return instant == null ? null : instant.toString();
  }
}
