package io.ephemeral.cvmfs.dataplane.publish;

import io.ephemeral.cvmfs.dataplane.publish.source.LimitExceededException;
import io.ephemeral.cvmfs.dataplane.publish.source.TreeSource;
import java.io.IOException;
import java.util.function.LongSupplier;

/**
 * The archive-bomb guard: a source whose content grows far beyond the bytes received is cut off
 * while it is read, not after. Links count too: a hard link is one more copy of its file, a
 * symlink its target. The first MiB is free, so small archives of small files always pass.
 */
final class ExpansionBound {

  private static final long SLACK = 1 << 20;

  private final long maxRatio;

  ExpansionBound(long maxRatio) {
    this.maxRatio = Math.max(maxRatio, 1);
  }

  /** {@code source}, failing with {@link LimitExceededException} once it yields more than the ratio allows of {@code received}. */
  TreeSource bound(TreeSource source, LongSupplier received) {
    return visitor -> {
      long[] expanded = {0};
      source.walk((entry, content) -> {
        long linked = switch (entry.type()) {
          case HARDLINK -> entry.size();
          case SYMLINK -> entry.linkTarget().length();
          default -> 0;
        };
        if (linked > 0) {
          expanded[0] += linked;
          check(expanded[0], received);
        }
        visitor.visit(entry, content == null ? null : new ObservedInputStream(content) {
          @Override
          protected void onRead(byte[] buffer, int offset, int n) throws IOException {
            expanded[0] += n;
            check(expanded[0], received);
          }
        });
      });
    };
  }

  private void check(long expanded, LongSupplier received) throws LimitExceededException {
    long in = Math.max(received.getAsLong(), 1);
    if (expanded > SLACK && (expanded - 1) / maxRatio >= in) {
      throw new LimitExceededException("archive expands past the max expansion ratio of " + maxRatio
          + " times its size (" + expanded + " bytes from " + received.getAsLong() + ")");
    }
  }
}
