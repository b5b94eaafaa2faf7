package io.ephemeral.cvmfs.dataplane.client;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;

/** What {@code push} uploads: a directory tarred on the fly, a file as it is, or standard input. */
public interface UploadSource {

  /** Opens the body for one attempt; a new one for every attempt when {@link #repeatable()}. */
  UploadBody open() throws IOException;

  /** Whether the body can be produced again for another attempt, asked after each failed one. */
  boolean repeatable();

  /**
   * Whether the body can be read once to hash it and again to send it: a file or a directory,
   * not standard input.
   */
  default boolean rereadable() {
    return true;
  }

  /** The {@code format} to ask for, or null to let the server recognise tar, tar.gz or tar.zst. */
  String format();

  /**
   * The source an argument names: {@code -} for standard input, a directory, or a file.
   *
   * @param format the {@code --format} given, or null
   * @param warnings where the tar writer says what it leaves out (sockets, devices, FIFOs)
   */
  static UploadSource of(String argument, String format, Consumer<String> warnings) throws IOException {
    if (argument.equals("-")) {
      return new StdinUpload(System.in, format);
    }
    Path path = Path.of(argument);
    if (Files.isDirectory(path)) {
      if (format != null && !format.equals("tar")) {
        throw new IllegalArgumentException("a directory is sent as a tar: --format " + format + " does not apply");
      }
      return new DirectoryTar(path, warnings);
    }
    if (Files.isRegularFile(path)) {
      return FileUpload.of(path, format);
    }
    throw new IllegalArgumentException(argument + " does not exist or is neither a directory nor a file");
  }
}
