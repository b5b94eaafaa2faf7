package io.ephemeral.cvmfs.operator.dataplane;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * What the data plane reports of a repository.
 *
 * @param storage where it keeps the repository: {@code s3://BUCKET/PREFIX/FQRN} or a directory;
 *     null from a data plane that does not say
 * @param writer the process that holds the writer lease, which every other replica redirects
 *     writes to; null from a data plane that does not say
 */
public record RepositoryInfo(String fqrn, long revision, long publications, String whitelistExpiresAt, String storage,
    String writer) {

  static RepositoryInfo fromJson(JsonNode node) {
    return new RepositoryInfo(node.path("fqrn").asText(), node.path("revision").asLong(),
        node.path("publications").asLong(), node.path("whitelistExpiresAt").asText(null),
        node.path("storage").asText(null), node.path("writer").asText(null));
  }
}
