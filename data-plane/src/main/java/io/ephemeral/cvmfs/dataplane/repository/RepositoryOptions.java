package io.ephemeral.cvmfs.dataplane.repository;

import io.ephemeral.cvmfs.common.format.HashAlgorithm;
import io.ephemeral.cvmfs.dataplane.format.ChunkingParameters;
import io.ephemeral.cvmfs.dataplane.format.Compression;

/**
 * What a repository is created with and keeps for its life.
 *
 * @param compression how file content is stored; the repository's configured compression is its
 *     {@link CompressionPolicy#repositoryCompression()}
 * @param manifestTtl seconds clients wait between checks for a new revision
 * @param zlibLevel 1 (fastest) to 9; 6 gives the same objects as cvmfs_server
 */
public record RepositoryOptions(
    HashAlgorithm hash, CompressionPolicy compression, ChunkingParameters chunking, long manifestTtl, int zlibLevel) {

  public static final RepositoryOptions DEFAULT =
      new RepositoryOptions(HashAlgorithm.SHA1, CompressionPolicy.ADAPTIVE, ChunkingParameters.DEFAULT, 240, 6);

  public RepositoryOptions {
    if (manifestTtl < 1) {
      throw new IllegalArgumentException("manifest TTL must be at least 1 second, got " + manifestTtl);
    }
    if (zlibLevel < 1 || zlibLevel > 9) {
      throw new IllegalArgumentException("zlib level must be 1 to 9, got " + zlibLevel);
    }
  }
}
