package io.ephemeral.cvmfs.operator.dataplane;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A publish the data plane answered before it was done, as it reports it; or one it answered
 * done at once.
 *
 * @param id null when the data plane published at once
 * @param result what was published, once it succeeded
 * @param failure the error a publish answered at once would have raised, once it failed
 */
public record PublishOperation(String id, State state, PublicationInfo result, DataPlaneException failure) {

  /** Where an operation is. */
  public enum State {
    RUNNING, SUCCEEDED, FAILED
  }

  /** An operation ({@code state} given), or the 201 of a publish done at once. */
  static PublishOperation fromJson(JsonNode node) {
    if (!node.has("state")) {
      return new PublishOperation(null, State.SUCCEEDED, PublicationInfo.fromJson(node), null);
    }
    String id = node.path("id").asText();
    return switch (node.path("state").asText()) {
      case "succeeded" -> new PublishOperation(id, State.SUCCEEDED, PublicationInfo.fromJson(node.path("result")), null);
      case "failed" -> {
        JsonNode error = node.path("error");
        yield new PublishOperation(id, State.FAILED, null, new DataPlaneException(error.path("status").asInt(),
            error.path("error").asText("failed"), error.path("detail").asText("the publish failed")));
      }
      default -> new PublishOperation(id, State.RUNNING, null, null);
    };
  }
}
