package io.ephemeral.cvmfs.dataplane.repository;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ephemeral.cvmfs.common.format.ContentHash;
import io.ephemeral.cvmfs.dataplane.format.Chunk;
import io.ephemeral.cvmfs.dataplane.format.DirectoryEntry;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** Stores the catalog row of a single-file publication as JSON in the state database. */
final class EntryJson {

  private static final ObjectMapper JSON = new ObjectMapper();

  private EntryJson() {}

  static String write(DirectoryEntry entry) {
    ObjectNode node = JSON.createObjectNode()
        .put("path", entry.path())
        .put("mode", entry.mode())
        .put("size", entry.size())
        .put("mtime", entry.mtime())
        .put("flags", entry.flags())
        .put("uid", entry.uid())
        .put("gid", entry.gid())
        .put("hash", entry.hash() == null ? null : entry.hash().toString());
    ArrayNode chunks = node.putArray("chunks");
    for (Chunk chunk : entry.chunks()) {
      chunks.addObject().put("offset", chunk.offset()).put("size", chunk.size()).put("hash", chunk.hash().toString());
    }
    return node.toString();
  }

  static DirectoryEntry read(String json) throws IOException {
    JsonNode node = JSON.readTree(json);
    List<Chunk> chunks = new ArrayList<>();
    for (JsonNode chunk : node.path("chunks")) {
      chunks.add(new Chunk(chunk.path("offset").asLong(), chunk.path("size").asLong(), ContentHash.parse(chunk.path("hash").asText())));
    }
    JsonNode hash = node.path("hash");
    return new DirectoryEntry(node.path("path").asText(), node.path("mode").asInt(), node.path("size").asLong(),
        node.path("mtime").asLong(), node.path("flags").asInt(), "", node.path("uid").asInt(), node.path("gid").asInt(), 1,
        hash.isNull() || hash.isMissingNode() ? null : ContentHash.parse(hash.asText()), chunks);
  }
}
