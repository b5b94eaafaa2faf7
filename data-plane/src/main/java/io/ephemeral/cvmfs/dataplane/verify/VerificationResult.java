package io.ephemeral.cvmfs.dataplane.verify;

import io.ephemeral.cvmfs.dataplane.format.DirectoryEntry;
import io.ephemeral.cvmfs.dataplane.format.Manifest;
import java.util.List;

/**
 * What a successful verification saw.
 *
 * @param entries every entry of the repository, depth-first and sorted by name within a
 *     directory, the root first; a nested catalog's mountpoint appears once, as the nested
 *     catalog's root entry
 * @param catalogs number of catalogs checked (root and nested)
 * @param objects number of distinct objects downloaded and checked
 */
public record VerificationResult(Manifest manifest, List<DirectoryEntry> entries, int catalogs, long objects) {

  public VerificationResult {
    entries = List.copyOf(entries);
  }

  public long revision() {
    return manifest.revision();
  }

  /** One line for humans and logs. */
  public String summary() {
    return "verified " + manifest.fqrn() + " revision " + manifest.revision() + ": " + entries.size() + " entries in "
        + catalogs + (catalogs == 1 ? " catalog, " : " catalogs, ") + objects + " objects checked";
  }
}
