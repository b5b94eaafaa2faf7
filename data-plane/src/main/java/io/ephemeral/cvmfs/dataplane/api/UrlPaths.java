package io.ephemeral.cvmfs.dataplane.api;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Decodes the path and query of a request URI strictly: percent escapes and raw bytes (which the HTTP
 * decoder hands over as ISO-8859-1 characters) must together be valid UTF-8. Netty's own
 * decoding replaces invalid sequences with U+FFFD and keeps raw bytes as Latin-1, so a name
 * different from the one sent would be published.
 */
final class UrlPaths {

  private UrlPaths() {}

  /**
   * The decoded path.
   *
   * @throws IllegalArgumentException when the bytes are not valid UTF-8 or an escape is malformed
   */
  static String decode(String rawPath) {
    return decode(rawPath, false, "path");
  }

  /**
   * A decoded name or value of a query string, where {@code +} stands for a space as in HTML
   * forms.
   *
   * @throws IllegalArgumentException when the bytes are not valid UTF-8 or an escape is malformed
   */
  static String decodeQueryComponent(String raw) {
    return decode(raw, true, "query");
  }

  private static String decode(String raw, boolean plusIsSpace, String what) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(raw.length());
    for (int i = 0; i < raw.length(); i++) {
      char c = raw.charAt(i);
      if (c == '+' && plusIsSpace) {
        bytes.write(' ');
      } else if (c == '%') {
        int hi = i + 2 < raw.length() ? Character.digit(raw.charAt(i + 1), 16) : -1;
        int lo = hi < 0 ? -1 : Character.digit(raw.charAt(i + 2), 16);
        if (lo < 0) {
          throw new IllegalArgumentException("invalid " + what + ": a malformed percent escape");
        }
        bytes.write(hi << 4 | lo);
        i += 2;
      } else if (c <= 0xff) {
        bytes.write(c);
      } else {
        byte[] utf8 = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
        bytes.write(utf8, 0, utf8.length);
      }
    }
    try {
      return StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes.toByteArray()))
          .toString();
    } catch (CharacterCodingException e) {
      throw new IllegalArgumentException("invalid " + what + ": it is not valid UTF-8");
    }
  }
}
