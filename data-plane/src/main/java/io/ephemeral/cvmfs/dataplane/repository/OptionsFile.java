package io.ephemeral.cvmfs.dataplane.repository;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ephemeral.cvmfs.common.format.HashAlgorithm;
import io.ephemeral.cvmfs.dataplane.format.ChunkingParameters;
import io.ephemeral.cvmfs.dataplane.format.Compression;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Remembers a repository's creation options in {@code state/<fqrn>/options.json}. */
final class OptionsFile {

  private static final ObjectMapper JSON = new ObjectMapper();

  private OptionsFile() {}

  static RepositoryOptions read(Path file) throws IOException {
    JsonNode node = JSON.readTree(file.toFile());
    try {
      return new RepositoryOptions(
          HashAlgorithm.fromConfigName(node.path("hash").asText()),
          compression(node),
          new ChunkingParameters(node.path("chunkMin").asInt(), node.path("chunkAvg").asInt(), node.path("chunkMax").asInt()),
          node.path("manifestTtl").asLong(),
          node.path("zlibLevel").asInt());
    } catch (IllegalArgumentException e) {
      throw new IOException("invalid repository options in " + file + ": " + e.getMessage(), e);
    }
  }

  /**
   * The configured compression is recorded as zlib or none, as cvmfs_server records it;
   * {@code adaptiveCompression} false makes zlib {@code zlib-always}. Options written before it
   * existed have no such field: their zlib is adaptive, the meaning zlib has now.
   */
  private static CompressionPolicy compression(JsonNode node) {
    Compression configured = Compression.fromConfigName(node.path("compression").asText());
    if (configured == Compression.NONE) {
      return CompressionPolicy.NONE;
    }
    return node.path("adaptiveCompression").asBoolean(true) ? CompressionPolicy.ADAPTIVE : CompressionPolicy.ZLIB_ALWAYS;
  }

  static void write(Path file, RepositoryOptions options) throws IOException {
    ObjectNode node = JSON.createObjectNode()
        .put("hash", options.hash().configName())
        .put("compression", options.compression().repositoryCompression().configName())
        .put("adaptiveCompression", options.compression() == CompressionPolicy.ADAPTIVE)
        .put("chunkMin", options.chunking().min())
        .put("chunkAvg", options.chunking().avg())
        .put("chunkMax", options.chunking().max())
        .put("manifestTtl", options.manifestTtl())
        .put("zlibLevel", options.zlibLevel());
    AtomicFiles.write(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(node));
  }

  static boolean exists(Path file) {
    return Files.exists(file);
  }
}
