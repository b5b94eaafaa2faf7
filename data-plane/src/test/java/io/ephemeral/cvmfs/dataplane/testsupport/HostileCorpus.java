package io.ephemeral.cvmfs.dataplane.testsupport;

import com.github.luben.zstd.ZstdOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Arrays;

/**
 * Archives built to hurt a server, shared by the tests that send them: each names the limit it
 * is meant to cross. Sizes fit the small policy of those tests (file 1 MiB, publication 4 MiB,
 * 100 entries, expansion ratio 100) unless a parameter says otherwise.
 */
public final class HostileCorpus {

  /** A name that is not UTF-8: "caf" and Latin-1 e-acute. */
  public static final byte[] LATIN1 = {'c', 'a', 'f', (byte) 0xe9};

  private HostileCorpus() {}

  /** One member of {@code zeros} zero bytes, zstd-compressed: a few KiB that expand past any spool. */
  public static byte[] zstdBomb(long zeros) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (ZstdOutputStream zstd = new ZstdOutputStream(out)) {
      byte[] header = RawTar.header(RawTar.utf8("huge"), '0', zeros, new byte[0]);
      zstd.write(header);
      byte[] block = new byte[1 << 20];
      for (long left = zeros; left > 0; left -= block.length) {
        zstd.write(block, 0, (int) Math.min(block.length, left));
      }
      zstd.write(new byte[1024]);
    }
    return out.toByteArray();
  }

  /** {@code count} one-byte members. */
  public static byte[] manyMembers(int count) {
    Tars archive = Tars.tar();
    for (int i = 0; i < count; i++) {
      archive.file("m" + i, "x");
    }
    return archive.bytes();
  }

  /** A file of 1 MiB and {@code links} hard links to it, each one more copy in the published tree. */
  public static byte[] hardLinkBomb(int links) {
    Tars archive = Tars.tar().file("big", new byte[1 << 20], 0644);
    for (int i = 0; i < links; i++) {
      archive.hardlink("link" + i, "big");
    }
    return archive.bytes();
  }

  /** 4 MiB through a file and hard links to it, then symlinks whose targets add 4,000 bytes each. */
  public static byte[] symlinkExpansion(int symlinks) {
    Tars archive = Tars.tar().file("big", new byte[1 << 20], 0644);
    for (int i = 0; i < 3; i++) {
      archive.hardlink("link" + i, "big");
    }
    for (int i = 0; i < symlinks; i++) {
      archive.symlink("s" + i, "t/".repeat(2000));
    }
    return archive.bytes();
  }

  /** A file {@code levels} directories deep, named by a PAX record written raw: commons-compress is slow at long names. */
  public static byte[] deepPath(int levels) {
    return RawTar.tar().pax("path", RawTar.utf8("d/".repeat(levels) + "f")).file("x", RawTar.utf8("x")).end().bytes();
  }

  /** {@code members} members named by PAX records of about 100 KB each, written raw: commons-compress is slow at it. */
  public static byte[] longPaxNames(int members) {
    RawTar longNames = RawTar.tar();
    for (int i = 0; i < members; i++) {
      longNames.pax("path", RawTar.utf8(("n".repeat(200) + "/").repeat(500) + i)).file("x" + i, RawTar.utf8("x"));
    }
    return longNames.end().bytes();
  }

  /** A member whose ustar name is {@link #LATIN1}. */
  public static byte[] latin1Member() {
    return RawTar.tar().member(LATIN1, '0', RawTar.utf8("x"), new byte[0]).end().bytes();
  }

  /** A member whose PAX path is {@link #LATIN1}. */
  public static byte[] latin1PaxPath() {
    return RawTar.tar().pax("path", LATIN1).file("x", RawTar.utf8("x")).end().bytes();
  }

  /** Two members, the header of the second with one bit of its name flipped. */
  public static byte[] corruptChecksum() {
    byte[] archive = Tars.tar().file("first", "1").file("second", "2").bytes();
    archive[1024 + 3] ^= 0x01;
    return archive;
  }

  /** A member cut off inside its data. */
  public static byte[] truncated() {
    byte[] archive = Tars.tar().file("whole", "w").file("cut", new byte[8192], 0644).bytes();
    return Arrays.copyOf(archive, 1024 + 512 + 4096);
  }

  /** A one-byte member behind a PAX header with {@code commentBytes} of comment: bytes that are no content. */
  public static byte[] paddedMember(int commentBytes) {
    byte[] comment = new byte[commentBytes];
    Arrays.fill(comment, (byte) 'c');
    return RawTar.tar().pax("comment", comment).file("f", RawTar.utf8("x")).bytes();
  }
}
