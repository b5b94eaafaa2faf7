package io.ephemeral.cvmfs.dataplane.publish.source;

import static io.ephemeral.cvmfs.dataplane.publish.source.Images.dockerSave;
import static io.ephemeral.cvmfs.dataplane.testsupport.RawTar.utf8;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ephemeral.cvmfs.dataplane.publish.source.ArchiveSource.Limits;
import io.ephemeral.cvmfs.dataplane.testsupport.RawTar;
import io.ephemeral.cvmfs.dataplane.testsupport.Tars.Seen;
import io.ephemeral.cvmfs.dataplane.testsupport.Tars;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Archives built to hurt the server: bombs through links and spools, deep and long names, bad bytes. */
class HostileArchiveTest {

  /** The limits of the data plane the attacks were first tried on. */
  private static final Limits SMALL = new Limits(100, 1 << 20, 4 << 20);

  @TempDir
  Path scratch;

  private static InvalidSourceException refusal(byte[] archive, Limits limits, String expected) {
    return refusal(new ByteArrayInputStream(archive), limits, expected);
  }

  private static InvalidSourceException refusal(InputStream archive, Limits limits, String expected) {
    InvalidSourceException e = assertThrows(InvalidSourceException.class,
        () -> Tars.walk(ArchiveSource.open(archive, null, limits)));
    assertTrue(e.getMessage().contains(expected), () -> "message '" + e.getMessage() + "' lacks '" + expected + "'");
    return e;
  }

  private InvalidSourceException imageRefusal(byte[] archive, long received, long ratio, String expected) {
    ImageArchiveSource source = new ImageArchiveSource(new ByteArrayInputStream(archive), ImageFormat.DOCKER_ARCHIVE,
        scratch, SMALL);
    source.boundSpool(() -> received, ratio);
    InvalidSourceException e = assertThrows(InvalidSourceException.class, () -> Tars.walk(source));
    assertTrue(e.getMessage().contains(expected), () -> "message '" + e.getMessage() + "' lacks '" + expected + "'");
    return e;
  }

  private void assertScratchEmpty() throws IOException {
    try (Stream<Path> files = Files.list(scratch)) {
      assertEquals(List.of(), files.toList());
    }
  }

  // 1. The spool of an image archive

  @Test
  void imageMembersLargerThanTheSpoolAllowsAreRefusedFromTheirHeader() throws IOException {
    // 64 MiB of zeros, 64 KiB compressed: refused by the member's header, before any byte is spooled.
    byte[] bomb = Tars.gzip(Tars.tar().file("huge", new byte[64 << 20], 0644).bytes());
    assertTrue(bomb.length < 128 << 10);
    LimitExceededException e = assertInstanceOf(LimitExceededException.class,
        imageRefusal(bomb, bomb.length, Long.MAX_VALUE, "member 'huge' is larger than the limit of "
            + ImageMembers.maxSpoolBytes(SMALL) + " bytes"));
    assertTrue(ImageMembers.maxSpoolBytes(SMALL) < 16 << 20, e.getMessage());
    assertScratchEmpty();
  }

  @Test
  void imageMembersTogetherLargerThanTheSpoolAllowsAreRefused() throws IOException {
    Tars archive = Tars.tar();
    for (int i = 0; i < 16; i++) {
      archive.file("part" + i, new byte[1 << 20], 0644);
    }
    imageRefusal(Tars.gzip(archive.bytes()), Long.MAX_VALUE / 1000, Long.MAX_VALUE,
        "archive expands past the limit of " + ImageMembers.maxSpoolBytes(SMALL) + " bytes");
    assertScratchEmpty();
  }

  @Test
  void spoolingStopsAtTheExpansionRatio() throws IOException {
    byte[] bomb = Tars.gzip(Tars.tar().file("zeros", new byte[3 << 20], 0644).bytes());
    imageRefusal(bomb, bomb.length, 100, "expands past 100 times its size while spooled");
    assertScratchEmpty();
  }

  @Test
  void imageArchiveMembersAreCountedWhileSpooling() throws IOException {
    Tars archive = Tars.tar();
    for (int i = 0; i < 3000; i++) {
      archive.file("m" + i, "x");
    }
    long limit = ImageMembers.maxSpoolMembers(SMALL);
    assertEquals(464, limit);
    imageRefusal(archive.bytes(), Long.MAX_VALUE / 1000, Long.MAX_VALUE,
        "archive expands past the limit of " + limit + " entries");
    assertScratchEmpty();
  }

  @Test
  void anOrdinaryImageStillFitsTheSpool() throws IOException {
    byte[] layer = Tars.tar().file("a", new byte[1 << 20], 0644).bytes();
    ImageArchiveSource source = new ImageArchiveSource(new ByteArrayInputStream(dockerSave(layer, layer)),
        ImageFormat.DOCKER_ARCHIVE, scratch, SMALL);
    source.boundSpool(() -> 3 << 20, 100);
    assertEquals(1, Tars.walk(source).size());
    assertScratchEmpty();
  }

  // 2. Bytes produced through links

  @Test
  void hardLinksCountTheSizeOfTheirTarget() {
    Tars archive = Tars.tar().file("big", new byte[1 << 20], 0644);
    for (int i = 0; i < 10; i++) {
      archive.hardlink("link" + i, "big");
    }
    assertInstanceOf(LimitExceededException.class,
        refusal(archive.bytes(), SMALL, "archive expands past the limit of " + (4 << 20) + " bytes"));
  }

  @Test
  void symlinkTargetsCountTheirLength() {
    Tars archive = Tars.tar();
    for (int i = 0; i < 20; i++) {
      archive.symlink("link" + i, "t/".repeat(2000));
    }
    refusal(archive.bytes(), new Limits(100, 1 << 20, 50_000), "archive expands past the limit of 50000 bytes");
  }

  @Test
  void hardLinksInImageLayersCountToo() throws IOException {
    Tars layer = Tars.tar().file("big", new byte[1 << 20], 0644);
    for (int i = 0; i < 10; i++) {
      layer.hardlink("link" + i, "big");
    }
    imageRefusal(dockerSave(layer.bytes()), Long.MAX_VALUE / 1000, Long.MAX_VALUE,
        "image expands past the limit of " + (4 << 20) + " bytes");
  }

  // 3. Deep and long paths

  @Test
  void pathsDeeperThanTheLimitAreRefused() {
    String deep = "a/".repeat(EntryPaths.MAX_DEPTH + 1) + "f";
    refusal(Tars.tar().file(deep, "x").bytes(), Limits.DEFAULT, "deeper than the limit of 256 levels");
    String deepest = "a/".repeat(EntryPaths.MAX_DEPTH - 1) + "f";
    assertDoesNotThrow(() -> Tars.walk(ArchiveSource.open(
        new ByteArrayInputStream(Tars.tar().file(deepest, "x").bytes()), null)));
  }

  @Test
  void thirtyThousandLevelsAreRefusedAsTooLong() {
    refusal(Tars.tar().file("d/".repeat(30_000) + "f", "x").bytes(), Limits.DEFAULT, "PATH_MAX");
  }

  @Test
  void namesLongerThanPathMaxAreRefused() {
    String name = ("n".repeat(200) + "/").repeat(100) + "f";
    refusal(Tars.tar().file(name, "x").bytes(), Limits.DEFAULT, "longer than the limit of 4096 bytes");
    refusal(Tars.tar().symlink("l", "t".repeat(4097)).bytes(), Limits.DEFAULT, "longer than the limit of 4096 bytes");
    refusal(Tars.tar().file("c".repeat(256), "x").bytes(), Limits.DEFAULT, "longer than 255 bytes");
  }

  // 4. UTF-8

  @Test
  void namesThatAreNotUtf8AreRefusedWhereverTheyComeFrom() {
    byte[] latin1 = {'c', 'a', 'f', (byte) 0xe9};
    refusal(RawTar.tar().member(latin1, '0', utf8("x"), new byte[0]).end().bytes(), Limits.DEFAULT,
        "not valid UTF-8");
    refusal(RawTar.tar().pax("path", latin1).file("ascii", utf8("x")).end().bytes(), Limits.DEFAULT,
        "not valid UTF-8");
    refusal(RawTar.tar().gnuLongName(latin1).file("ascii", utf8("x")).end().bytes(), Limits.DEFAULT,
        "not valid UTF-8");
    refusal(RawTar.tar().member(utf8("link"), '2', new byte[0], latin1).end().bytes(), Limits.DEFAULT,
        "not valid UTF-8");
    refusal(RawTar.tar().pax("linkpath", latin1).member(utf8("link"), '2', new byte[0], utf8("t")).end().bytes(),
        Limits.DEFAULT, "not valid UTF-8");
    // An overlong encoding of '/', and a lone surrogate.
    refusal(RawTar.tar().pax("path", new byte[] {'a', (byte) 0xc0, (byte) 0xaf, 'b'}).file("x", utf8("x")).end()
        .bytes(), Limits.DEFAULT, "not valid UTF-8");
    refusal(RawTar.tar().pax("path", new byte[] {(byte) 0xed, (byte) 0xa0, (byte) 0x80}).file("x", utf8("x")).end()
        .bytes(), Limits.DEFAULT, "not valid UTF-8");
  }

  @Test
  void utf8NamesArePublishedAsSent() throws IOException {
    byte[] archive = RawTar.tar().member(utf8("caf\u00e9"), '0', utf8("x"), new byte[0])
        .pax("path", utf8("\u65e5\u672c/\ud83d\ude00")).file("ascii", utf8("y"))
        .pax("path", utf8("\ufffd literal")).file("z", utf8("z")).end().bytes();
    List<String> paths = Tars.walk(ArchiveSource.open(new ByteArrayInputStream(archive), null)).stream()
        .map(seen -> seen.entry().path()).toList();
    assertEquals(List.of("caf\u00e9", "\u65e5\u672c/\ud83d\ude00", "\ufffd literal"), paths);
  }

  // 5. Checksums

  @Test
  void headersWithAWrongChecksumAreRefused() {
    byte[] archive = Tars.tar().file("first", "1").file("second", "2").bytes();
    archive[1024 + 3] ^= 0x01; // a byte of the second member's name
    refusal(archive, Limits.DEFAULT, "wrong checksum");
    byte[] pax = RawTar.tar().pax("path", utf8("x")).file("y", utf8("y")).end().bytes();
    pax[5] ^= 0x01; // the name of the PAX header itself
    refusal(pax, Limits.DEFAULT, "wrong checksum");
  }

  // 6. The end of the input

  @Test
  void theInputIsReadToItsEndAndAFailureThereIsAFailureOfTheWalk() {
    byte[] archive = Tars.tar().file("a", "a").bytes();
    InputStream cutShort = new SequenceInputStream(new ByteArrayInputStream(archive), new InputStream() {
      @Override
      public int read() throws IOException {
        throw new IOException("the client closed the connection before the body was complete");
      }
    });
    IOException e = assertThrows(IOException.class, () -> Tars.walk(ArchiveSource.open(cutShort, null)));
    assertTrue(e.getMessage().contains("before the body was complete"), e.getMessage());
  }

  @Test
  void paddingAfterTheArchiveIsReadButBounded() throws IOException {
    byte[] archive = Tars.tar().file("a", "a").bytes();
    List<Seen> seen = Tars.walk(ArchiveSource.open(new SequenceInputStream(new ByteArrayInputStream(archive),
        new ByteArrayInputStream(new byte[1 << 20])), null));
    assertEquals(1, seen.size());
    refusal(new SequenceInputStream(new ByteArrayInputStream(archive), new ByteArrayInputStream(new byte[17 << 20])),
        Limits.DEFAULT, "after the end of the archive");
  }
}
