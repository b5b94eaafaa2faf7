package io.ephemeral.cvmfs.dataplane.testsupport;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Writes tar archives block by block, names as raw bytes, for inputs a well-behaved writer would
 * not produce: names that are not UTF-8, wrong checksums, huge PAX records.
 */
public final class RawTar {

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();

  public static RawTar tar() {
    return new RawTar();
  }

  public static byte[] utf8(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  /** A member with a ustar header; {@code name} and {@code link} at most 100 bytes. */
  public RawTar member(byte[] name, char type, byte[] data, byte[] link) {
    byte[] header = header(name, type, data.length, link);
    return block(header).data(data);
  }

  public RawTar file(String name, byte[] data) {
    return member(utf8(name), '0', data, new byte[0]);
  }

  /** A PAX extended header with one record, for the member that follows. */
  public RawTar pax(String key, byte[] value) {
    byte[] body = concat(utf8(" " + key + "="), value, new byte[] {'\n'});
    int length = body.length;
    int digits = String.valueOf(length).length();
    while (String.valueOf(length + digits).length() != digits) {
      digits++;
    }
    byte[] record = concat(utf8(String.valueOf(length + digits)), body);
    return member(utf8("PaxHeaders/x"), 'x', record, new byte[0]);
  }

  /** A GNU long name for the member that follows. */
  public RawTar gnuLongName(byte[] name) {
    return member(utf8("././@LongLink"), 'L', concat(name, new byte[1]), new byte[0]);
  }

  /** Appends a header block as it is, checksum and all. */
  public RawTar block(byte[] block) {
    out.writeBytes(block);
    return this;
  }

  private RawTar data(byte[] data) {
    out.writeBytes(data);
    out.writeBytes(new byte[(512 - data.length % 512) % 512]);
    return this;
  }

  /** The end-of-archive marker. */
  public RawTar end() {
    out.writeBytes(new byte[1024]);
    return this;
  }

  public byte[] bytes() {
    return out.toByteArray();
  }

  /** A ustar header block with a correct checksum. */
  public static byte[] header(byte[] name, char type, long size, byte[] link) {
    byte[] h = new byte[512];
    System.arraycopy(name, 0, h, 0, name.length);
    octal(h, 100, 8, 0644);
    octal(h, 108, 8, 1000);
    octal(h, 116, 8, 1000);
    octal(h, 124, 12, size);
    octal(h, 136, 12, 1_700_000_000L);
    h[156] = (byte) type;
    System.arraycopy(link, 0, h, 157, link.length);
    System.arraycopy(utf8("ustar\u000000"), 0, h, 257, 8);
    fixChecksum(h);
    return h;
  }

  public static void fixChecksum(byte[] h) {
    for (int i = 148; i < 156; i++) {
      h[i] = ' ';
    }
    long sum = 0;
    for (byte b : h) {
      sum += b & 0xff;
    }
    octal(h, 148, 7, sum);
    h[155] = ' ';
  }

  private static void octal(byte[] h, int offset, int length, long value) {
    String digits = String.format("%0" + (length - 1) + "o", value);
    System.arraycopy(utf8(digits), 0, h, offset, length - 1);
    h[offset + length - 1] = 0;
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    for (byte[] part : parts) {
      all.writeBytes(part);
    }
    return all.toByteArray();
  }
}
