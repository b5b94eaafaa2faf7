package io.ephemeral.cvmfs.dataplane.client;

import io.ephemeral.cvmfs.dataplane.publish.source.ArchiveFormat;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A file sent as it is. Without {@code --format}, a tar, tar.gz or tar.zst is left for the server to
 * recognise and anything else is published as one file ({@code format=file}).
 */
public record FileUpload(Path file, String format) implements UploadSource {

  public static FileUpload of(Path file, String format) throws IOException {
    if (format != null) {
      return new FileUpload(file, format);
    }
    try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1024)) {
      return new FileUpload(file, ArchiveFormat.sniff(in).isPresent() ? null : "file");
    }
  }

  @Override
  public UploadBody open() throws IOException {
    return new UploadBody(Files.newInputStream(file), Files.size(file));
  }

  @Override
  public boolean repeatable() {
    return true;
  }
}
