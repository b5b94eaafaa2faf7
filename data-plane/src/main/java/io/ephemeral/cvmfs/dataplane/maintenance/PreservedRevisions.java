package io.ephemeral.cvmfs.dataplane.maintenance;

import io.ephemeral.cvmfs.common.format.ContentHash;
import io.ephemeral.cvmfs.dataplane.format.Reflog;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Which root catalogs a client may still be reading: the current one, every one that became
 * current after the cutoff, and the newest one before it, which was current at the cutoff
 * (as {@code cvmfs_server gc -t} decides, format.md 12.1), and every tagged one, which a client
 * mounts by name and a rollback publishes again. The others are condemned.
 */
record PreservedRevisions(Set<ContentHash> preserved, List<ContentHash> condemned) {

  PreservedRevisions {
    preserved = Set.copyOf(preserved);
    condemned = List.copyOf(condemned);
  }

  /**
   * @param reflog root catalogs with the Unix time each became current, in the order they did:
   *     of two that became current in the same second, the later one was current at the cutoff
   * @param tagged the root catalogs of the tags
   */
  static PreservedRevisions select(ContentHash current, List<Reflog.Entry> reflog, long cutoffSeconds,
      Set<ContentHash> tagged) {
    Reflog.Entry currentAtCutoff = null;
    for (Reflog.Entry entry : reflog) {
      if (entry.timestampSeconds() < cutoffSeconds
          && (currentAtCutoff == null || entry.timestampSeconds() >= currentAtCutoff.timestampSeconds())) {
        currentAtCutoff = entry;
      }
    }
    Set<ContentHash> preserved = new LinkedHashSet<>();
    preserved.add(current);
    preserved.addAll(tagged);
    List<ContentHash> condemned = new ArrayList<>();
    for (Reflog.Entry entry : reflog) {
      if (entry.timestampSeconds() >= cutoffSeconds || entry == currentAtCutoff) {
        preserved.add(entry.hash());
      }
    }
    for (Reflog.Entry entry : reflog) {
      if (!preserved.contains(entry.hash())) {
        condemned.add(entry.hash());
      }
    }
    return new PreservedRevisions(preserved, condemned);
  }
}
