package io.ephemeral.cvmfs.operator.dataplane;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;

/** A publication as the data plane reports it. */
public record PublicationInfo(String path, long revision, long files, long bytes, Instant expiresAt) {

  static PublicationInfo fromJson(JsonNode node) {
    return new PublicationInfo(node.path("path").asText(), node.path("revision").asLong(), node.path("files").asLong(),
        node.path("bytes").asLong(), Instant.parse(node.path("expiresAt").asText()));
  }
}
