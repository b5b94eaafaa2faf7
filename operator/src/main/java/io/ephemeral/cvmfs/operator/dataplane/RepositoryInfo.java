package io.ephemeral.cvmfs.operator.dataplane;

import com.fasterxml.jackson.databind.JsonNode;

/** What the data plane reports of a repository. */
public record RepositoryInfo(String fqrn, long revision, long publications, String whitelistExpiresAt) {

  static RepositoryInfo fromJson(JsonNode node) {
    return new RepositoryInfo(node.path("fqrn").asText(), node.path("revision").asLong(),
        node.path("publications").asLong(), node.path("whitelistExpiresAt").asText(null));
  }
}
