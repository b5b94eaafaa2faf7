package io.ephemeral.cvmfs.dataplane.publish.source;

import java.io.BufferedInputStream;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/** Chooses the tree source for a path given on the command line: a directory or an archive file. */
public final class Sources {

  private Sources() {}

  /** {@link #open(Path, ArchiveSource.Limits)} with {@link ArchiveSource.Limits#DEFAULT}. */
  public static TreeSource open(Path path) throws InvalidSourceException {
    return open(path, ArchiveSource.Limits.DEFAULT);
  }

  /** A directory or an archive, held to the same {@code limits} either way. */
  public static TreeSource open(Path path, ArchiveSource.Limits limits) throws InvalidSourceException {
    if (Files.isDirectory(path)) {
      return new DirectorySource(path, limits);
    }
    if (!Files.isRegularFile(path)) {
      throw new InvalidSourceException("source " + path + " does not exist or is neither a directory nor a file");
    }
    return visitor -> {
      try (InputStream in = new BufferedInputStream(Files.newInputStream(path), 1 << 16)) {
        ArchiveSource.open(in, null, limits).walk(visitor);
      }
    };
  }
}
