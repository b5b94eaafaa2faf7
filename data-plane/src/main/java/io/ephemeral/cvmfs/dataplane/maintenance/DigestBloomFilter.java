package io.ephemeral.cvmfs.dataplane.maintenance;

/**
 * A Bloom filter over content digests. Digests are uniformly distributed already, so the bit
 * positions come from the digest bytes themselves (double hashing of two 64-bit halves). A false
 * positive only keeps an object that could have been deleted, which is safe; the memory stays
 * at about ten bits per object whatever the repository's size.
 */
final class DigestBloomFilter {

  private static final int BITS_PER_ELEMENT = 10;
  private static final int HASHES = 7; // optimal for 10 bits per element: about 1 % false positives

  private final long[] words;
  private final long bits;

  private DigestBloomFilter(long bits) {
    this.words = new long[(int) Math.max(1, (bits + 63) / 64)];
    this.bits = (long) words.length * 64;
  }

  static DigestBloomFilter forExpected(long elements) {
    long bits = Math.max(1 << 16, elements * BITS_PER_ELEMENT);
    return new DigestBloomFilter(Math.min(bits, (long) Integer.MAX_VALUE * 64));
  }

  void add(byte[] digest) {
    long h1 = half(digest, 0);
    long h2 = half(digest, 8) | 1;
    for (int i = 0; i < HASHES; i++) {
      long bit = Math.floorMod(h1 + i * h2, bits);
      words[(int) (bit >>> 6)] |= 1L << bit;
    }
  }

  boolean mightContain(byte[] digest) {
    long h1 = half(digest, 0);
    long h2 = half(digest, 8) | 1;
    for (int i = 0; i < HASHES; i++) {
      long bit = Math.floorMod(h1 + i * h2, bits);
      if ((words[(int) (bit >>> 6)] & (1L << bit)) == 0) {
        return false;
      }
    }
    return true;
  }

  long sizeInBytes() {
    return (long) words.length * Long.BYTES;
  }

  private static long half(byte[] digest, int from) {
    long value = 0;
    for (int i = from; i < from + 8; i++) {
      value = value << 8 | (digest[i] & 0xff);
    }
    return value;
  }
}
