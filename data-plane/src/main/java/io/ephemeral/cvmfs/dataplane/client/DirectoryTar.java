package io.ephemeral.cvmfs.dataplane.client;

import java.io.IOException;
import java.nio.file.Path;
import java.util.function.Consumer;

/**
 * A directory, tarred on the fly for every attempt by a thread of its own and streamed through a
 * {@link BytePipe}: neither the tree nor the tar is ever held in memory or written to disk.
 */
public final class DirectoryTar implements UploadSource {

  private final Path directory;
  private final TreeTar tar;

  public DirectoryTar(Path directory, Consumer<String> warnings) {
    this.directory = directory;
    this.tar = new TreeTar(warnings);
  }

  @Override
  public UploadBody open() {
    BytePipe pipe = new BytePipe();
    Thread writer = new Thread(() -> {
      try {
        tar.write(directory, pipe.sink());
      } catch (IOException e) {
        pipe.fail(e);
      } catch (RuntimeException e) {
        pipe.fail(new IOException(e.toString(), e));
      }
    }, "tar " + directory);
    writer.setDaemon(true);
    writer.start();
    return new UploadBody(pipe.source(), -1);
  }

  @Override
  public boolean repeatable() {
    return true;
  }

  @Override
  public String format() {
    return "tar";
  }
}
