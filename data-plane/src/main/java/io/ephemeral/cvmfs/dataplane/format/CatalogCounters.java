package io.ephemeral.cvmfs.dataplane.format;

import java.util.List;
import java.util.Map;

/**
 * One set of the catalog statistics counters (format.md 7.4). A catalog stores two sets: {@code self}
 * for its own rows and {@code subtree} for all catalogs below it.
 */
public record CatalogCounters(
    long regular,
    long symlink,
    long special,
    long dir,
    long nested,
    long chunked,
    long chunks,
    long fileSize,
    long chunkedSize,
    long xattr,
    long external,
    long externalFileSize) {

  public static final CatalogCounters ZERO = new CatalogCounters(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);

  /** Counter names without the {@code self_}/{@code subtree_} prefix, in field order. */
  public static final List<String> NAMES = List.of("regular", "symlink", "special", "dir", "nested", "chunked",
      "chunks", "file_size", "chunked_size", "xattr", "external", "external_file_size");

  public static CatalogCounters fromValues(long[] v) {
    return new CatalogCounters(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11]);
  }

  /**
   * The set stored under {@code prefix} ({@code self_} or {@code subtree_}) in a catalog's
   * {@code statistics} table, as {@link CatalogReader#statistics} returns it; a counter not
   * stored counts 0.
   */
  public static CatalogCounters fromStatistics(Map<String, Long> statistics, String prefix) {
    long[] values = new long[NAMES.size()];
    for (int i = 0; i < values.length; i++) {
      values[i] = statistics.getOrDefault(prefix + NAMES.get(i), 0L);
    }
    return fromValues(values);
  }

  public long[] values() {
    return new long[] {regular, symlink, special, dir, nested, chunked, chunks, fileSize, chunkedSize, xattr, external, externalFileSize};
  }

  public CatalogCounters plus(CatalogCounters other) {
    long[] a = values();
    long[] b = other.values();
    for (int i = 0; i < a.length; i++) {
      a[i] += b[i];
    }
    return fromValues(a);
  }

  /** Adds what one catalog row contributes to its catalog's {@code self} counters. */
  public CatalogCounters plus(DirectoryEntry entry) {
    return add(entry, 1);
  }

  /** Takes away what one catalog row contributed to its catalog's {@code self} counters. */
  public CatalogCounters minus(DirectoryEntry entry) {
    return add(entry, -1);
  }

  private CatalogCounters add(DirectoryEntry entry, int sign) {
    long[] v = values();
    if (entry.isDirectory()) {
      v[3] += sign;
    } else if (entry.isSymlink()) {
      v[1] += sign;
    } else if (entry.isRegular()) {
      v[0] += sign;
      v[7] += sign * entry.size();
      if (entry.isChunked()) {
        v[5] += sign;
        v[6] += sign * entry.chunks().size();
        v[8] += sign * entry.size();
      }
    } else {
      v[2] += sign;
    }
    return fromValues(v);
  }

  public CatalogCounters withNested(long count) {
    long[] v = values();
    v[4] = count;
    return fromValues(v);
  }
}
