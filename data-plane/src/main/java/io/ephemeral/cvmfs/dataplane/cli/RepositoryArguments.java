package io.ephemeral.cvmfs.dataplane.cli;

import io.ephemeral.cvmfs.common.format.HashAlgorithm;
import io.ephemeral.cvmfs.dataplane.format.ChunkingParameters;
import io.ephemeral.cvmfs.dataplane.format.Compression;
import io.ephemeral.cvmfs.dataplane.repository.CompressionPolicy;
import io.ephemeral.cvmfs.dataplane.repository.DataLayout;
import io.ephemeral.cvmfs.dataplane.repository.Repository;
import io.ephemeral.cvmfs.dataplane.repository.RepositoryOptions;
import java.io.IOException;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * The options every writing command shares: where the data lives and how a repository is
 * created. Each option can also come from the environment variable named in its default.
 */
final class RepositoryArguments {

  @Option(names = "--data", defaultValue = "${env:CVMFS_EPHEMERAL_DATA:-./data}",
      description = "Data directory (env CVMFS_EPHEMERAL_DATA; default ${DEFAULT-VALUE}).")
  Path data;

  @Option(names = "--keys", paramLabel = "DIR", defaultValue = "${env:CVMFS_EPHEMERAL_KEYS}",
      description = "Directory with the key files, e.g. a mounted Secret (env CVMFS_EPHEMERAL_KEYS; default DATA/keys).")
  Path keys;

  @Option(names = "--hash", defaultValue = "${env:CVMFS_EPHEMERAL_HASH:-sha1}",
      description = "Content hash of a new repository: sha1, rmd160 or shake128 (default ${DEFAULT-VALUE}).")
  String hash;

  @Option(names = "--compression", defaultValue = "${env:CVMFS_EPHEMERAL_COMPRESSION:-zlib}",
      description = "Object compression of a new repository: zlib (files that do not compress are stored"
          + " uncompressed), zlib-always or none (default ${DEFAULT-VALUE}).")
  String compression;

  @Option(names = "--zlib-level", defaultValue = "${env:CVMFS_EPHEMERAL_ZLIB_LEVEL:-6}",
      description = "zlib level 1-9 of a new repository; only 6, as cvmfs_server writes, passes cvmfs_fsck "
          + "(default ${DEFAULT-VALUE}).")
  int zlibLevel;

  @Option(names = "--chunk-min", defaultValue = "${env:CVMFS_EPHEMERAL_CHUNK_MIN:-4MiB}", converter = ByteSizeConverter.class,
      description = "Minimum chunk size (default ${DEFAULT-VALUE}).")
  long chunkMin;

  @Option(names = "--chunk-avg", defaultValue = "${env:CVMFS_EPHEMERAL_CHUNK_AVG:-8MiB}", converter = ByteSizeConverter.class,
      description = "Average chunk size (default ${DEFAULT-VALUE}).")
  long chunkAvg;

  @Option(names = "--chunk-max", defaultValue = "${env:CVMFS_EPHEMERAL_CHUNK_MAX:-16MiB}", converter = ByteSizeConverter.class,
      description = "Maximum chunk size (default ${DEFAULT-VALUE}).")
  long chunkMax;

  @Option(names = "--manifest-ttl", defaultValue = "${env:CVMFS_EPHEMERAL_MANIFEST_TTL:-240}",
      description = "Seconds between client checks for a new revision (default ${DEFAULT-VALUE}).")
  long manifestTtl;

  @Option(names = "--min-revision", defaultValue = "${env:CVMFS_EPHEMERAL_MIN_REVISION:-0}",
      description = "Never commit a revision below this number (default ${DEFAULT-VALUE}).")
  long minRevision;

  RepositoryOptions creationOptions() {
    return new RepositoryOptions(HashAlgorithm.fromConfigName(hash), CompressionPolicy.fromConfigName(compression),
        new ChunkingParameters(chunkSize(chunkMin), chunkSize(chunkAvg), chunkSize(chunkMax)), manifestTtl, zlibLevel);
  }

  private static int chunkSize(long bytes) {
    if (bytes > 1 << 30) {
      throw new IllegalArgumentException("chunk sizes above 1 GiB are not supported: " + bytes);
    }
    return (int) bytes;
  }

  DataLayout layout() {
    return DataLayout.of(data, keys);
  }

  Repository open(String fqrn) throws IOException {
    return Repository.at(layout(), fqrn).creationOptions(creationOptions()).minRevision(minRevision).open();
  }
}
