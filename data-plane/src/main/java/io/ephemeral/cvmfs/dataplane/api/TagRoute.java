package io.ephemeral.cvmfs.dataplane.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ephemeral.cvmfs.dataplane.publish.RepositoryTags;
import io.ephemeral.cvmfs.dataplane.repository.Tag;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.time.Instant;

/**
 * The tag endpoints of the v1 API, declared in {@link ApiRoute#table}: {@code GET
 * /api/v1/repos/{repo}/tags}, {@code POST …/tags} {@code {"name", "description"}} (names the
 * current revision), {@code DELETE …/tags/{name}} and {@code POST …/tags/{name}/rollback}.
 * Writing needs the repository's token.
 */
public final class TagRoute {

  private final RepositoryTags tags;

  public TagRoute(RepositoryTags tags) {
    this.tags = tags;
  }

  void list(ApiCall call) throws Exception {
    ArrayNode list = JsonResponses.JSON.createArrayNode();
    for (Tag tag : tags.tags(call.repo())) {
      list.add(json(tag));
    }
    call.send(HttpResponseStatus.OK, JsonResponses.JSON.createObjectNode().set("tags", list));
  }

  void create(ApiCall call) throws Exception {
    JsonNode body = call.json();
    Tag tag = tags.tag(call.repo(), ApiJson.text(body, "name"), ApiJson.text(body, "description"));
    call.revision(tag.revision());
    call.send(HttpResponseStatus.CREATED, json(tag));
  }

  void delete(ApiCall call) throws Exception {
    tags.untag(call.repo(), call.variable("name"));
    call.send(HttpResponseStatus.OK, JsonResponses.JSON.createObjectNode().put("name", call.variable("name")));
  }

  void rollback(ApiCall call) throws Exception {
    RepositoryTags.Rollback rollback = tags.rollback(call.repo(), call.variable("name"));
    call.revision(rollback.head().revision());
    call.send(HttpResponseStatus.CREATED, JsonResponses.JSON.createObjectNode()
        .put("tag", rollback.tag().name())
        .put("tagRevision", rollback.tag().revision())
        .put("revision", rollback.head().revision())
        .put("publications", rollback.publications()));
  }

  private static ObjectNode json(Tag tag) {
    return JsonResponses.JSON.createObjectNode()
        .put("name", tag.name())
        .put("revision", tag.revision())
        .put("rootCatalog", tag.rootCatalog().toString())
        .put("createdAt", Instant.ofEpochSecond(tag.timestamp()).toString())
        .put("description", tag.description())
        .put("publications", tag.publications().size());
  }
}
