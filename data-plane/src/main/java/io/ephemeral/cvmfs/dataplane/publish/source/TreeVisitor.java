package io.ephemeral.cvmfs.dataplane.publish.source;

import java.io.IOException;
import java.io.InputStream;

/** Receives the entries of a {@link TreeSource}, in source order. */
public interface TreeVisitor {

  /**
   * Called once per entry. For {@link SourceEntry.EntryType#REGULAR} entries {@code content}
   * yields exactly {@code entry.size()} bytes and is only valid during the call; for all other
   * entries it is {@code null}.
   */
  void visit(SourceEntry entry, InputStream content) throws IOException;
}
