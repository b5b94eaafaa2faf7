package io.ephemeral.cvmfs.dataplane.format;

/** Bounds of content-defined chunking, in bytes (format.md 8). */
public record ChunkingParameters(int min, int avg, int max) {

  public static final ChunkingParameters DEFAULT = new ChunkingParameters(4 << 20, 8 << 20, 16 << 20);

  public ChunkingParameters {
    if (!(32 <= min && min < avg && avg < max)) {
      throw new IllegalArgumentException(
          "chunk sizes must satisfy 32 <= min < avg < max, got " + min + "/" + avg + "/" + max);
    }
  }
}
