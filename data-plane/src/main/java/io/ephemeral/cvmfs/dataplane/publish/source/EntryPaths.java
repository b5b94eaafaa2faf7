package io.ephemeral.cvmfs.dataplane.publish.source;

import java.nio.charset.StandardCharsets;
import java.util.Comparator;

/** Path rules shared by the sources: normalisation of member names and deterministic ordering. */
public final class EntryPaths {

  /** Longest name component Linux file systems accept, in bytes. */
  static final int MAX_COMPONENT_BYTES = 255;
  /**
   * Longest path, in bytes of UTF-8: Linux's PATH_MAX. A member name, a symlink target and the
   * publication path with a member's path appended are each held to it.
   */
  public static final int MAX_PATH_BYTES = 4096;
  /**
   * Most components of a member's path below the publication root. Far deeper than real trees
   * go, and shallow enough that nothing handling paths one level at a time runs out of stack.
   */
  public static final int MAX_DEPTH = 256;

  /**
   * Orders names by code point, which is the byte order of their UTF-8 encoding and so matches
   * what {@code ls} shows in the C locale, independent of how Java pairs surrogates.
   */
  static final Comparator<String> CODE_POINT_ORDER = EntryPaths::compareCodePoints;

  private EntryPaths() {}

  /**
   * Normalises an archive member name to the {@link SourceEntry} path rules: {@code .} and empty
   * components are dropped, so {@code ./a//b/} becomes {@code a/b} and {@code ./} the root
   * {@code ""}. Names that could leave the root or cannot exist on disk are refused.
   *
   * @param subject what the name is in messages, e.g. {@code member 'x'}
   */
  static String normalize(String name, String subject) throws InvalidSourceException {
    if (name.isEmpty()) {
      throw new InvalidSourceException(subject + " is empty");
    }
    if (name.indexOf('\0') >= 0) {
      throw new InvalidSourceException(subject + " contains a NUL byte");
    }
    if (name.charAt(0) == '/') {
      throw new InvalidSourceException(subject + " is an absolute path");
    }
    if (name.length() > MAX_PATH_BYTES || utf8Length(name) > MAX_PATH_BYTES) {
      throw new InvalidSourceException(subject + " is longer than the limit of " + MAX_PATH_BYTES
          + " bytes (PATH_MAX)");
    }
    StringBuilder path = new StringBuilder(name.length());
    int depth = 0;
    int start = 0;
    while (start <= name.length()) {
      int end = name.indexOf('/', start);
      if (end < 0) {
        end = name.length();
      }
      String component = name.substring(start, end);
      if (component.equals("..")) {
        throw new InvalidSourceException(subject + " has a '..' component");
      }
      if (!component.isEmpty() && !component.equals(".")) {
        if (component.length() > MAX_COMPONENT_BYTES / 3
            && component.getBytes(StandardCharsets.UTF_8).length > MAX_COMPONENT_BYTES) {
          throw new InvalidSourceException(
              subject + " has a component longer than " + MAX_COMPONENT_BYTES + " bytes");
        }
        if (++depth > MAX_DEPTH) {
          throw new InvalidSourceException(subject + " is deeper than the limit of " + MAX_DEPTH + " levels");
        }
        if (path.length() > 0) {
          path.append('/');
        }
        path.append(component);
      }
      start = end + 1;
    }
    return path.toString();
  }

  /** The length of {@code text} in UTF-8, without encoding it. */
  public static int utf8Length(CharSequence text) {
    int bytes = 0;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c < 0x80) {
        bytes++;
      } else if (c < 0x800) {
        bytes += 2;
      } else if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
        bytes += 4;
        i++;
      } else {
        bytes += 3;
      }
    }
    return bytes;
  }

  /** {@code parent + "/" + name}, without a leading slash below the root. */
  static String child(String parent, String name) {
    return parent.isEmpty() ? name : parent + "/" + name;
  }

  /** Quotes a name for a message, escaping control characters so the message stays one readable line. */
  static String quote(String name) {
    StringBuilder out = new StringBuilder(name.length() + 2).append('\'');
    name.codePoints().forEach(c -> {
      if (c < 0x20 || c == 0x7f) {
        out.append(String.format("\\x%02x", c));
      } else {
        out.appendCodePoint(c);
      }
    });
    return out.append('\'').toString();
  }

  private static int compareCodePoints(String a, String b) {
    int i = 0;
    int j = 0;
    while (i < a.length() && j < b.length()) {
      int ca = a.codePointAt(i);
      int cb = b.codePointAt(j);
      if (ca != cb) {
        return Integer.compare(ca, cb);
      }
      i += Character.charCount(ca);
      j += Character.charCount(cb);
    }
    return Integer.compare(a.length() - i, b.length() - j);
  }
}
