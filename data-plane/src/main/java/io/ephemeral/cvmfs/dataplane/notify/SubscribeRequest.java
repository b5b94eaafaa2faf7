package io.ephemeral.cvmfs.dataplane.notify;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.ephemeral.cvmfs.dataplane.repository.Fqrn;

/** The body of a subscription (format.md 10.4): {@code {"version":1,"repository":"<fqrn>"}}. */
public record SubscribeRequest(int version, String repository) {

  public static SubscribeRequest of(String repository) {
    return new SubscribeRequest(ActivityMessage.VERSION, repository);
  }

  /** Exactly the compact JSON the stock client sends. */
  public String toJson() {
    try {
      return ActivityMessage.JSON.writeValueAsString(
          ActivityMessage.JSON.createObjectNode().put("version", version).put("repository", repository));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write a subscription request", e);
    }
  }

  /** Parses a subscription; a repository this server does not know is fine, a name no repository can have is not. */
  public static SubscribeRequest parse(byte[] json) throws NotificationException {
    JsonNode node = ActivityMessage.readObject(json);
    int version = ActivityMessage.version(node);
    String repository = ActivityMessage.text(node, "repository");
    try {
      Fqrn.require(repository);
    } catch (IllegalArgumentException e) {
      throw NotificationException.badRequest("invalid_repository", e.getMessage());
    }
    return new SubscribeRequest(version, repository);
  }
}
