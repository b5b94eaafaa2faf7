package io.ephemeral.cvmfs.dataplane.http;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.util.Optional;

/** A repository's objects kept in object storage rather than under its served directory. */
@FunctionalInterface
public interface RemoteObjects {

  /**
   * Opens the object {@code name} ({@code data/xx/…}); empty when there is none. Blocks, as
   * routes may on the server's file threads.
   */
  Optional<Opened> open(String name) throws IOException;

  /** An object being read: its size and its bytes. */
  record Opened(long size, InputStream content) implements Closeable {
    @Override
    public void close() throws IOException {
      content.close();
    }
  }
}
