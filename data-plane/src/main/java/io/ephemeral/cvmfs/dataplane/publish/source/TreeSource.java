package io.ephemeral.cvmfs.dataplane.publish.source;

import java.io.IOException;

/** A tree of entries to publish: a directory or an archive, read once, streamed. */
public interface TreeSource {

  /**
   * Streams every entry to {@code visitor}. Sources read from a stream can be walked only once;
   * a second call throws {@link IllegalStateException}.
   *
   * @throws InvalidSourceException when the input is corrupt, truncated or holds an entry that
   *     may not be published (device, FIFO, a path escaping the root or passing through a symlink)
   */
  void walk(TreeVisitor visitor) throws IOException;
}
