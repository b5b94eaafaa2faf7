package io.ephemeral.cvmfs.dataplane.format;

/**
 * Finds content-defined cut points with the xor32 rolling checksum of cvmfs_server (format.md 8), so
 * that identical content is cut at identical offsets by both writers. A {@link Cursor} follows
 * one file as its bytes arrive, in blocks of any size.
 */
public final class Xor32Chunker {

  static final int WINDOW = 32;
  private static final int MAGIC = 0x7FFFFFFF;

  private final ChunkingParameters parameters;
  private final int threshold;

  public Xor32Chunker(ChunkingParameters parameters) {
    this.parameters = parameters;
    this.threshold = (int) (0xFFFFFFFFL / parameters.avg());
  }

  public ChunkingParameters parameters() {
    return parameters;
  }

  /** A cursor at the start of a new file. */
  public Cursor newCursor() {
    return new Cursor();
  }

  /**
   * The position in one file's chunk being cut. A chunk of {@code max} bytes ends at the next
   * byte, and a checksum match ends it before the matching byte: either way the cut is known only
   * once a byte past it has been seen, so the rest of a file is its last chunk without any
   * look-ahead.
   */
  public final class Cursor {

    private int position;
    private int checksum;

    private Cursor() {}

    /**
     * Feeds {@code data[from, to)}, the bytes that follow those fed so far, and returns the index
     * of the first byte of the next chunk, or -1 if the current chunk goes on past {@code to}.
     * After a cut, feed again from the returned index.
     */
    public int next(byte[] data, int from, int to) {
      int min = parameters.min();
      int max = parameters.max();
      int p = from;
      // Bytes before min - WINDOW have left the checksum by the time it is first tested.
      int skip = Math.min(min - WINDOW - position, to - p);
      if (skip > 0) {
        p += skip;
        position += skip;
      }
      int x = checksum;
      for (; p < to && position < min; p++, position++) {
        x = (x << 1) ^ (data[p] & 0xFF);
      }
      // From min on, each byte is tested; the data array index of chunk offset max bounds the scan.
      int chunkStart = p - position;
      int end = (int) Math.min(to, (long) chunkStart + max);
      for (; p < end; p++) {
        x = (x << 1) ^ (data[p] & 0xFF);
        if (Math.abs(x - MAGIC) < threshold) {
          return cut(p);
        }
      }
      position = p - chunkStart;
      if (position == max && p < to) {
        return cut(p);
      }
      checksum = x;
      return -1;
    }

    private int cut(int at) {
      position = 0;
      checksum = 0;
      return at;
    }
  }
}
