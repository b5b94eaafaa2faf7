package io.ephemeral.cvmfs.dataplane.http;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** An inclusive byte range of a resource, from a single-range {@code Range} header. */
record ByteRange(long first, long last) {

  /** The header asked for bytes the resource does not have: answer 416. */
  static final ByteRange UNSATISFIABLE = new ByteRange(-1, -1);

  // 18 digits keep the numbers inside a long.
  private static final Pattern SINGLE_RANGE =
      Pattern.compile("bytes=(\\d{0,18})-(\\d{0,18})", Pattern.CASE_INSENSITIVE);

  /**
   * The range {@code header} selects of a {@code size}-byte resource, {@link #UNSATISFIABLE}, or
   * {@code null} when the whole resource is to be sent: no header, a malformed one, or several
   * ranges (which a server may answer in full rather than as multipart).
   */
  static ByteRange parse(String header, long size) {
    if (header == null) {
      return null;
    }
    Matcher m = SINGLE_RANGE.matcher(header.trim());
    if (!m.matches()) {
      return null;
    }
    String first = m.group(1);
    String last = m.group(2);
    if (first.isEmpty()) {
      if (last.isEmpty()) {
        return null;
      }
      long suffix = Long.parseLong(last);
      return suffix == 0 || size == 0
          ? UNSATISFIABLE
          : new ByteRange(Math.max(0, size - suffix), size - 1);
    }
    long from = Long.parseLong(first);
    long to = last.isEmpty() ? Long.MAX_VALUE : Long.parseLong(last);
    if (to < from) {
      return null;
    }
    return from >= size ? UNSATISFIABLE : new ByteRange(from, Math.min(to, size - 1));
  }

  long length() {
    return last - first + 1;
  }
}
