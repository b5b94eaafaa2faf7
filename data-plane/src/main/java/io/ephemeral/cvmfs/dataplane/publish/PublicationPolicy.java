package io.ephemeral.cvmfs.dataplane.publish;

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
