package io.ephemeral.cvmfs.dataplane.publish.source;

import static io.ephemeral.cvmfs.dataplane.publish.source.ArchiveFormat.TAR_BLOCK;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;

/**
 * Checks the raw header blocks of one member, as the tar parser consumed them, for what the
 * parser lets pass: a header block whose checksum is wrong, and a name or link target that is
 * not valid UTF-8, which the parser would decode with replacement characters. Every source of a
 * name is looked at in its bytes: PAX records ({@code path}, {@code linkpath},
 * {@code GNU.sparse.name}, global ones included), GNU long names and links, and the name,
 * prefix and link name fields of the header itself.
 */
final class TarHeaders {

  private static final int NAME_OFFSET = 0;
  private static final int NAME_LENGTH = 100;
  private static final int SIZE_OFFSET = 124;
  private static final int TYPE_OFFSET = 156;
  private static final int LINK_OFFSET = 157;
  private static final int LINK_LENGTH = 100;
  private static final int MAGIC_OFFSET = 257;
  private static final int PREFIX_OFFSET = 345;
  private static final int PREFIX_LENGTH = 155;
  private static final byte[] POSIX_MAGIC = {'u', 's', 't', 'a', 'r', 0};

  private TarHeaders() {}

  /**
   * Checks the blocks in {@code raw[from, to)}, which start with the header blocks of one member.
   *
   * @param globals the name records of the global PAX headers seen so far, updated here
   * @param where where the member is, for messages, e.g. {@code after member 'x'}
   */
  static void check(byte[] raw, int from, int to, Map<String, byte[]> globals, String where)
      throws InvalidSourceException {
    byte[] localPath = null;
    byte[] localLink = null;
    byte[] longName = null;
    byte[] longLink = null;
    int pos = from;
    while (pos + TAR_BLOCK <= to) {
      if (ArchiveFormat.isZeroBlock(raw, pos)) {
        return;
      }
      byte[] block = Arrays.copyOfRange(raw, pos, pos + TAR_BLOCK);
      if (!ArchiveFormat.checksumMatches(block)) {
        throw new InvalidSourceException("corrupt tar archive: a header " + where + " has a wrong checksum");
      }
      pos += TAR_BLOCK;
      byte type = block[TYPE_OFFSET];
      if (type != 'x' && type != 'X' && type != 'g' && type != 'L' && type != 'K') {
        // The member's own header: what follows is data or sparse extension blocks.
        String name = null;
        if (localPath == null && longName == null && globals.get("path") == null) {
          name = field(block, NAME_OFFSET, NAME_LENGTH, "the name", where);
          if (Arrays.equals(block, MAGIC_OFFSET, MAGIC_OFFSET + POSIX_MAGIC.length, POSIX_MAGIC, 0, POSIX_MAGIC.length)) {
            field(block, PREFIX_OFFSET, PREFIX_LENGTH, "the name prefix", where);
          }
        }
        if ((type == '1' || type == '2') && localLink == null && longLink == null && globals.get("linkpath") == null) {
          field(block, LINK_OFFSET, LINK_LENGTH, "the link target" + (name == null ? "" : " of member " + name), where);
        }
        return;
      }
      long size;
      try {
        size = parseSize(block);
      } catch (IllegalArgumentException e) {
        return; // The parser accepted it; it is no business of these checks.
      }
      int end = (int) Math.min(to, pos + size);
      switch (type) {
        case 'x', 'X' -> {
          Map<String, byte[]> records = new java.util.HashMap<>();
          pax(raw, pos, end, records, where);
          localPath = records.getOrDefault("path", records.get("GNU.sparse.name"));
          localLink = records.get("linkpath");
        }
        case 'g' -> pax(raw, pos, end, globals, where);
        case 'L' -> longName = utf8(trimNuls(raw, pos, end), "a GNU long name", where);
        case 'K' -> longLink = utf8(trimNuls(raw, pos, end), "a GNU long link target", where);
        default -> throw new AssertionError(type);
      }
      pos += (int) ((size + TAR_BLOCK - 1) & -TAR_BLOCK);
    }
  }

  /** Reads the records of a PAX header, checking and keeping those that are names. */
  private static void pax(byte[] raw, int from, int to, Map<String, byte[]> names, String where)
      throws InvalidSourceException {
    int pos = from;
    while (pos < to) {
      int space = pos;
      long length = 0;
      while (space < to && raw[space] >= '0' && raw[space] <= '9' && length < Integer.MAX_VALUE) {
        length = length * 10 + (raw[space] - '0');
        space++;
      }
      if (space == pos || space >= to || raw[space] != ' ' || length <= space - pos + 1 || pos + length > to) {
        return; // Padding or a form the parser tolerates; names in it were not taken from here.
      }
      int end = (int) (pos + length) - 1; // the record's newline
      int equals = space + 1;
      while (equals < end && raw[equals] != '=') {
        equals++;
      }
      if (equals < end) {
        String key = new String(raw, space + 1, equals - space - 1, StandardCharsets.UTF_8);
        if (key.equals("path") || key.equals("linkpath") || key.equals("GNU.sparse.name")) {
          byte[] value = Arrays.copyOfRange(raw, equals + 1, end);
          if (value.length == 0) {
            names.remove(key);
          } else {
            names.put(key, utf8(value, "the PAX " + key, where));
          }
        }
      }
      pos = end + 1;
    }
  }

  private static String field(byte[] block, int offset, int length, String what, String where)
      throws InvalidSourceException {
    int end = offset;
    while (end < offset + length && block[end] != 0) {
      end++;
    }
    byte[] bytes = Arrays.copyOfRange(block, offset, end);
    utf8(bytes, what, where);
    return EntryPaths.quote(new String(bytes, StandardCharsets.UTF_8));
  }

  private static byte[] trimNuls(byte[] raw, int from, int to) {
    int end = to;
    while (end > from && raw[end - 1] == 0) {
      end--;
    }
    return Arrays.copyOfRange(raw, from, end);
  }

  /** Returns {@code bytes} when they are valid UTF-8; refuses them otherwise. */
  static byte[] utf8(byte[] bytes, String what, String where) throws InvalidSourceException {
    try {
      StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes));
    } catch (CharacterCodingException e) {
      throw new InvalidSourceException(what + " " + EntryPaths.quote(new String(bytes, StandardCharsets.UTF_8))
          + " " + where + " is not valid UTF-8");
    }
    return bytes;
  }

  /** The size field: octal, or base-256 when its first byte has the high bit set. */
  private static long parseSize(byte[] block) {
    if ((block[SIZE_OFFSET] & 0x80) != 0) {
      long value = 0;
      for (int i = SIZE_OFFSET + 1; i < SIZE_OFFSET + 12; i++) {
        value = (value << 8) | (block[i] & 0xff);
        if (value < 0) {
          throw new IllegalArgumentException("size out of range");
        }
      }
      return value;
    }
    long value = 0;
    boolean digits = false;
    for (int i = SIZE_OFFSET; i < SIZE_OFFSET + 12; i++) {
      byte b = block[i];
      if (b >= '0' && b <= '7') {
        value = value * 8 + (b - '0');
        digits = true;
      } else if ((b == ' ' || b == 0) && (digits || b == 0)) {
        if (digits) {
          break;
        }
      } else if (b != ' ') {
        throw new IllegalArgumentException("bad size");
      }
    }
    return value;
  }
}
