package io.ephemeral.cvmfs.dataplane.publish;

import io.ephemeral.cvmfs.common.publish.Ttl;
import java.time.Duration;

/**
 * The limits every publication of a data plane is held to.
 *
 * @param defaultTtl lifetime of a publication that names none
 * @param maxTtl the longest lifetime a publication may ask for
 * @param maxFileSize largest single file, in bytes
 * @param maxTotalBytes largest publication, in bytes of content
 * @param maxEntries most entries in one publication
 * @param maxExpansionRatio most bytes of content per byte received, against archive bombs
 * @param uploadTtl how long a staged upload waits to be claimed
 */
public record PublicationPolicy(
    Duration defaultTtl,
    Duration maxTtl,
    long maxFileSize,
    long maxTotalBytes,
    long maxEntries,
    long maxExpansionRatio,
    Duration uploadTtl) {

  public static final PublicationPolicy DEFAULT = new PublicationPolicy(Duration.ofHours(2), Duration.ofDays(7),
      64L << 30, 256L << 30, 1_000_000, 1000, Duration.ofHours(1));

  /**
   * Room per entry beyond its content in a tar stream: a header block, a PAX header carrying a path
   * and a link target of PATH_MAX each with the usual records, and the padding of both.
   */
  static final long ENTRY_OVERHEAD_BYTES = 10 << 10;

  /**
   * Room after the last entry: the end marker, record padding, and the 16 MiB of trailing bytes an
   * archive reader reads and drops past the end marker.
   */
  static final long TRAILER_BYTES = 32L << 20;

  /**
   * Most bytes a request body (or staged upload) may carry, whatever its format: what an archive
   * holding a publication within these limits can take, and no more. That is the content, plus a
   * sixty-fourth for the framing of gzip or zstd around incompressible content, plus
   * {@link #ENTRY_OVERHEAD_BYTES} per entry and the {@link #TRAILER_BYTES}. Bytes that are not
   * content (padding, headers, zeros after the end) count too, so a body cannot run on forever.
   * Derived rather than configured: raising the publication limits raises it with them.
   */
  public long maxUploadBytes() {
    long content = saturatedAdd(maxTotalBytes, maxTotalBytes / 64);
    long headers = maxEntries > Long.MAX_VALUE / ENTRY_OVERHEAD_BYTES ? Long.MAX_VALUE : maxEntries * ENTRY_OVERHEAD_BYTES;
    return saturatedAdd(saturatedAdd(content, headers), TRAILER_BYTES);
  }

  private static long saturatedAdd(long a, long b) {
    long sum = a + b;
    return sum < 0 ? Long.MAX_VALUE : sum;
  }

  /** The TTL asked for, or the default; refuses one above the maximum. */
  public Duration ttl(String requested) {
    if (requested == null || requested.isBlank()) {
      return defaultTtl;
    }
    Duration ttl = Ttl.parse(requested);
    if (ttl.compareTo(maxTtl) > 0) {
      throw new IllegalArgumentException("TTL " + requested + " is above the maximum of " + maxTtl.toSeconds() + " s");
    }
    return ttl;
  }
}
