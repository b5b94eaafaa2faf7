package io.ephemeral.cvmfs.dataplane.repository;

import java.nio.charset.StandardCharsets;

/** Validation of publication paths inside a repository: {@code /a/b}, never the root itself. */
public final class RepositoryPath {

  /** Longest publication path, in bytes of UTF-8: Linux's PATH_MAX. */
  public static final int MAX_PATH_BYTES = 4096;

  private RepositoryPath() {}

  /**
   * Normalises a publication path given with or without leading slash to {@code /a/b}.
   *
   * @throws IllegalArgumentException naming the offending segment
   */
  public static String normalize(String path) {
    String trimmed = path.startsWith("/") ? path.substring(1) : path;
    if (trimmed.endsWith("/")) {
      trimmed = trimmed.substring(0, trimmed.length() - 1);
    }
    if (trimmed.isEmpty()) {
      throw new IllegalArgumentException("a publication path needs at least one segment");
    }
    StringBuilder normalized = new StringBuilder();
    for (String segment : trimmed.split("/", -1)) {
      requireSegment(segment, path);
      normalized.append('/').append(segment);
    }
    if (normalized.toString().getBytes(StandardCharsets.UTF_8).length > MAX_PATH_BYTES) {
      throw new IllegalArgumentException("invalid path: longer than the limit of " + MAX_PATH_BYTES
          + " bytes (PATH_MAX)");
    }
    return normalized.toString();
  }

  static void requireSegment(String segment, String path) {
    String problem = null;
    if (segment.isEmpty()) {
      problem = "empty segment";
    } else if (segment.equals(".") || segment.equals("..")) {
      problem = "segment '" + segment + "'";
    } else if (segment.indexOf('\0') >= 0) {
      problem = "NUL byte";
    } else if (segment.getBytes(StandardCharsets.UTF_8).length > 255) {
      problem = "segment longer than 255 bytes";
    }
    if (problem != null) {
      throw new IllegalArgumentException("invalid path '" + path + "': " + problem);
    }
  }

  /** Whether one of two normalised paths lies inside the other, or they are equal. */
  public static boolean overlaps(String a, String b) {
    return a.equals(b) || a.startsWith(b + "/") || b.startsWith(a + "/");
  }
}
