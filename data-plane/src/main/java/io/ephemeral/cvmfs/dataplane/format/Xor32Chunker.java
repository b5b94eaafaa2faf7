package io.ephemeral.cvmfs.dataplane.format;

/**
 * Finds content-defined cut points with the xor32 rolling checksum of cvmfs_server (spec 8), so
 * that identical content is cut at identical offsets by both writers.
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

  /**
   * The length of the next chunk of a file whose unread rest starts at {@code data[offset]}.
   *
   * @param available bytes of the rest present in {@code data} from {@code offset}: at least
   *     {@code max}, or everything up to the end of the file
   * @param endOfFile whether those bytes reach the end of the file
   * @return the chunk length, between 1 and {@code max}; equal to {@code available} when the rest
   *     of the file forms the final chunk
   */
  public int nextCut(byte[] data, int offset, int available, boolean endOfFile) {
    int min = parameters.min();
    int max = parameters.max();
    if (!endOfFile && available < max) {
      throw new IllegalArgumentException("need max bytes of look-ahead or the end of the file");
    }
    if (endOfFile && available <= min) {
      return available;
    }
    int x = 0;
    for (int p = offset + min - WINDOW; p < offset + min; p++) {
      x = (x << 1) ^ (data[p] & 0xFF);
    }
    int end = offset + Math.min(max, available);
    for (int p = offset + min; p < end; p++) {
      x = (x << 1) ^ (data[p] & 0xFF);
      if (Math.abs(x - MAGIC) < threshold) {
        return p - offset;
      }
    }
    return Math.min(max, available);
  }
}
