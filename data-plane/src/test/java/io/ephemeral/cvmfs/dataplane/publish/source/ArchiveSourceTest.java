package io.ephemeral.cvmfs.dataplane.publish.source;

import static io.ephemeral.cvmfs.dataplane.testsupport.Tars.GID;
import static io.ephemeral.cvmfs.dataplane.testsupport.Tars.MTIME;
import static io.ephemeral.cvmfs.dataplane.testsupport.Tars.UID;
import static io.ephemeral.cvmfs.dataplane.testsupport.Tars.gzip;
import static io.ephemeral.cvmfs.dataplane.testsupport.Tars.tar;
import static io.ephemeral.cvmfs.dataplane.testsupport.Tars.walk;
import static io.ephemeral.cvmfs.dataplane.testsupport.Tars.zstd;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.ephemeral.cvmfs.dataplane.publish.source.ArchiveSource.Limits;
import io.ephemeral.cvmfs.dataplane.publish.source.ArchiveSource.SpecialFiles;
import io.ephemeral.cvmfs.dataplane.publish.source.SourceEntry.EntryType;
import io.ephemeral.cvmfs.dataplane.testsupport.Tars.Seen;
import io.ephemeral.cvmfs.dataplane.testsupport.Tars;
import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class ArchiveSourceTest {

  private static List<Seen> read(byte[] archive) throws IOException {
    return walk(ArchiveSource.open(new ByteArrayInputStream(archive), null));
  }

  private static InvalidSourceException refusal(byte[] archive) {
    return refusal(archive, Limits.DEFAULT);
  }

  private static InvalidSourceException refusal(byte[] archive, Limits limits) {
    return assertThrows(InvalidSourceException.class,
        () -> walk(ArchiveSource.open(new ByteArrayInputStream(archive), null, limits)));
  }

  private static void assertMessage(InvalidSourceException e, String expected) {
    assertTrue(e.getMessage().contains(expected), () -> "message '" + e.getMessage() + "' lacks '" + expected + "'");
  }

  private static byte[] sample() {
    return tar()
        .dir("./")
        .dir("bin/")
        .file("bin/tool", "#!/bin/sh\n".getBytes(StandardCharsets.UTF_8), 0755)
        .file("./bin/suid", new byte[0], 04711)
        .file("etc/conf", "key=value\n".getBytes(StandardCharsets.UTF_8), 0640)
        .symlink("etc/relative", "conf")
        .symlink("absolute", "/usr/bin/env")
        .symlink("escaping", "../../outside")
        .hardlink("./bin/again", "./bin/tool")
        .bytes();
  }

  @Test
  void readsEveryEntryTypeWithItsMetadata() throws IOException {
    List<Seen> seen = read(sample());

    List<SourceEntry> expected = List.of(
        SourceEntry.directory("", 0755, MTIME, UID, GID),
        SourceEntry.directory("bin", 0755, MTIME, UID, GID),
        new SourceEntry("bin/tool", EntryType.REGULAR, 0755, 10, MTIME, UID, GID, null),
        new SourceEntry("bin/suid", EntryType.REGULAR, 04711, 0, MTIME, UID, GID, null),
        new SourceEntry("etc/conf", EntryType.REGULAR, 0640, 10, MTIME, UID, GID, null),
        new SourceEntry("etc/relative", EntryType.SYMLINK, 0777, 0, MTIME, UID, GID, "conf"),
        new SourceEntry("absolute", EntryType.SYMLINK, 0777, 0, MTIME, UID, GID, "/usr/bin/env"),
        new SourceEntry("escaping", EntryType.SYMLINK, 0777, 0, MTIME, UID, GID, "../../outside"),
        new SourceEntry("bin/again", EntryType.HARDLINK, 0644, 10, MTIME, UID, GID, "bin/tool"));
    assertEquals(expected, seen.stream().map(Seen::entry).toList());
    assertEquals("#!/bin/sh\n", seen.get(2).text());
    assertEquals(0, seen.get(3).content().length);
    assertEquals("key=value\n", seen.get(4).text());
    assertNull(seen.get(0).content());
    assertNull(seen.get(5).content());
    assertNull(seen.get(8).content());
  }

  @Test
  void keepsLargeIdsAndModificationTimes() throws IOException {
    TarArchiveEntry e = Tars.entry("big-ids", TarConstants.LF_NORMAL);
    e.setUserId(4_000_000_000L);
    e.setGroupId(65534);
    e.setLastModifiedTime(FileTime.from(Instant.ofEpochSecond(10_000_000_000L)));
    byte[] archive = tar().add(e, null).bytes();

    SourceEntry entry = read(archive).get(0).entry();
    assertEquals((int) 4_000_000_000L, entry.uid());
    assertEquals(4_000_000_000L, Integer.toUnsignedLong(entry.uid()));
    assertEquals(65534, entry.gid());
    assertEquals(10_000_000_000L, entry.mtimeSeconds());
  }

  @Test
  void normalisesMemberNames() throws IOException {
    byte[] archive = tar()
        .dir(".")
        .dir("./a//b/")
        .file("./a/./b//c", "x")
        .bytes();
    assertEquals(List.of("", "a/b", "a/b/c"), read(archive).stream().map(s -> s.entry().path()).toList());
  }

  @Test
  void readsLongAndNonAsciiNamesFromPaxHeaders() throws IOException {
    String deep = "d".repeat(60) + "/" + "e".repeat(60) + "/" + "f".repeat(60);
    String widest = "w".repeat(255);
    String unicode = "données/ñandú-😀.txt";
    String target = "../".repeat(10) + "t".repeat(120);
    byte[] archive = tar()
        .file(deep, "deep")
        .file(widest, "wide")
        .file(unicode, "unicode")
        .symlink("l".repeat(150), target)
        .hardlink("h".repeat(150), deep)
        .bytes();

    List<Seen> seen = read(archive);
    assertEquals(List.of(deep, widest, unicode, "l".repeat(150), "h".repeat(150)),
        seen.stream().map(s -> s.entry().path()).toList());
    assertEquals("deep", seen.get(0).text());
    assertEquals("unicode", seen.get(2).text());
    assertEquals(target, seen.get(3).entry().linkTarget());
    assertEquals(deep, seen.get(4).entry().linkTarget());
  }

  @Test
  void readsOldGnuLongNames() throws IOException {
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    try (TarArchiveOutputStream out = new TarArchiveOutputStream(buf, "UTF-8")) {
      out.setLongFileMode(TarArchiveOutputStream.LONGFILE_GNU);
      TarArchiveEntry e = Tars.entry("g".repeat(200), TarConstants.LF_NORMAL);
      e.setSize(3);
      out.putArchiveEntry(e);
      out.write("abc".getBytes(StandardCharsets.UTF_8));
      out.closeArchiveEntry();
    }
    List<Seen> seen = read(buf.toByteArray());
    assertEquals("g".repeat(200), seen.get(0).entry().path());
    assertEquals("abc", seen.get(0).text());
  }

  @Test
  void passesImplicitParentsAndDuplicatesOn() throws IOException {
    byte[] archive = tar()
        .file("deep/down/file", "one")
        .file("deep/down/file", "two")
        .dir("deep/")
        .bytes();
    List<Seen> seen = read(archive);
    assertEquals(List.of("deep/down/file", "deep/down/file", "deep"),
        seen.stream().map(s -> s.entry().path()).toList());
    assertEquals("one", seen.get(0).text());
    assertEquals("two", seen.get(1).text());
  }

  @Test
  void skipsTheDataOfGnuDumpDirectories(@TempDir Path dir) throws Exception {
    Files.createDirectories(dir.resolve("src/sub"));
    Files.writeString(dir.resolve("src/file"), "file");
    Files.writeString(dir.resolve("src/sub/inner"), "inner");
    // An incremental archive stores directories as 'D' members whose data lists their names.
    Path archive = dir.resolve("incremental.tar");
    assumeTrue(runTar(dir, "--listed-incremental=" + dir.resolve("snapshot"), "-cf", archive.toString(), "src"),
        "no GNU tar");

    List<Seen> seen;
    try (InputStream in = Files.newInputStream(archive)) {
      seen = walk(ArchiveSource.open(in, null));
    }
    assertEquals(List.of("src DIRECTORY", "src/sub DIRECTORY", "src/file REGULAR", "src/sub/inner REGULAR"),
        seen.stream().map(s -> s.entry().path() + " " + s.entry().type()).toList());
    assertEquals("inner", seen.get(3).text());
  }

  private static boolean runTar(Path dir, String... args) throws InterruptedException {
    List<String> command = new ArrayList<>(List.of("tar", "-C", dir.toString()));
    command.addAll(List.of(args));
    try {
      Process tar = new ProcessBuilder(command).redirectErrorStream(true).start();
      tar.getInputStream().readAllBytes();
      return tar.waitFor() == 0;
    } catch (IOException e) {
      return false;
    }
  }

  @ParameterizedTest
  @EnumSource(ArchiveFormat.class)
  void sniffsEachFormatWithoutConsumingIt(ArchiveFormat format) throws IOException {
    byte[] plain = sample();
    byte[] archive = switch (format) {
      case TAR -> plain;
      case TAR_GZ -> gzip(plain);
      case TAR_ZST -> zstd(plain);
    };

    BufferedInputStream in = new BufferedInputStream(new ByteArrayInputStream(archive));
    assertEquals(format, ArchiveFormat.sniff(in).orElseThrow());
    assertArrayEquals(archive, in.readAllBytes());

    ArchiveSource sniffed = ArchiveSource.open(new ByteArrayInputStream(archive), null);
    assertEquals(format, sniffed.format());
    assertEquals(
        read(plain).stream().map(Seen::entry).toList(),
        walk(sniffed).stream().map(Seen::entry).toList());
    assertEquals(read(plain).size(), walk(ArchiveSource.open(new ByteArrayInputStream(archive), format)).size());
  }

  @Test
  void recognisesPrePosixTarByItsChecksum() throws IOException {
    byte[] archive = tar().file("old", "v7").bytes();
    // Blank the ustar magic and version, then fix the checksum as a V7 writer would have it.
    Arrays.fill(archive, 257, 265, (byte) 0);
    Arrays.fill(archive, 148, 156, (byte) ' ');
    long sum = 0;
    for (int i = 0; i < 512; i++) {
      sum += archive[i] & 0xff;
    }
    byte[] field = String.format("%06o\0 ", sum).getBytes(StandardCharsets.US_ASCII);
    System.arraycopy(field, 0, archive, 148, 8);

    assertEquals(ArchiveFormat.TAR, ArchiveFormat.sniff(new BufferedInputStream(new ByteArrayInputStream(archive)))
        .orElseThrow());
    assertEquals("v7", read(archive).get(0).text());
  }

  @Test
  void readsConcatenatedGzipMembers() throws IOException {
    byte[] plain = sample();
    int half = plain.length / 2;
    byte[] first = gzip(Arrays.copyOfRange(plain, 0, half));
    byte[] second = gzip(Arrays.copyOfRange(plain, half, plain.length));
    byte[] both = Arrays.copyOf(first, first.length + second.length);
    System.arraycopy(second, 0, both, first.length, second.length);
    assertEquals(read(plain).size(), read(both).size());
  }

  @Test
  void readsAnEmptyArchive() throws IOException {
    assertEquals(List.of(), read(tar().bytes()));
    assertEquals(List.of(), read(zstd(tar().bytes())));
  }

  static Stream<Arguments> refusedMembers() {
    return Stream.of(
        Arguments.of("absolute path", tar().file("/etc/passwd", "x").bytes(), "'/etc/passwd' is an absolute path"),
        Arguments.of("escaping dot-dot", tar().file("a/../../b", "x").bytes(), "'a/../../b' has a '..' component"),
        Arguments.of("inner dot-dot", tar().file("a/../b", "x").bytes(), "'a/../b' has a '..' component"),
        Arguments.of("trailing dot-dot", tar().dir("a/..").bytes(), "'a/../' has a '..' component"),
        Arguments.of("through symlink",
            tar().symlink("link", "/etc").file("link/passwd", "x").bytes(),
            "member 'link/passwd' lies beneath 'link', a symlink"),
        Arguments.of("deep through symlink",
            tar().dir("d/").symlink("d/link", "..").file("./d/link/sub/file", "x").bytes(),
            "lies beneath 'd/link'"),
        Arguments.of("directory through symlink",
            tar().symlink("link", "elsewhere").dir("link/sub/").bytes(), "lies beneath 'link'"),
        Arguments.of("character device", tar().special("dev/null", TarConstants.LF_CHR).bytes(),
            "'dev/null' is a character device"),
        Arguments.of("block device", tar().special("dev/sda", TarConstants.LF_BLK).bytes(),
            "'dev/sda' is a block device"),
        Arguments.of("fifo", tar().special("pipe", TarConstants.LF_FIFO).bytes(), "'pipe' is a FIFO"),
        Arguments.of("unknown type", tar().special("odd", (byte) 'Z').bytes(), "'odd' has the unsupported type 'Z'"),
        Arguments.of("nul byte", withPaxRecord(tar(), "path", "bad\0name").file("placeholder", "x").bytes(),
            "'bad\\x00name' contains a NUL"),
        Arguments.of("empty name", tar().add(withPaxPath(""), null).bytes(), "member '' is empty"),
        Arguments.of("over-long component", tar().file("x".repeat(256), "x").bytes(), "longer than 255 bytes"),
        Arguments.of("over-long multibyte component", tar().file("é".repeat(128), "x").bytes(),
            "longer than 255 bytes"),
        Arguments.of("root as a file", tar().file(".", "x").bytes(), "stands for the archive root"),
        Arguments.of("hard link to nothing", tar().hardlink("link", "missing").bytes(),
            "hard link 'link' points to 'missing', which is not an earlier regular file"),
        Arguments.of("hard link forward",
            tar().hardlink("link", "later").file("later", "x").bytes(), "not an earlier regular file"),
        Arguments.of("hard link to directory",
            tar().dir("d/").hardlink("link", "d").bytes(), "not an earlier regular file"),
        Arguments.of("hard link to symlink",
            tar().symlink("s", "target").hardlink("link", "s").bytes(), "not an earlier regular file"),
        Arguments.of("hard link to replaced file",
            tar().file("f", "x").dir("f/").hardlink("link", "f").bytes(), "not an earlier regular file"),
        Arguments.of("hard link escaping",
            tar().file("f", "x").hardlink("link", "../f").bytes(),
            "the target '../f' of hard link 'link' has a '..' component"),
        Arguments.of("hard link absolute",
            tar().file("f", "x").hardlink("link", "/f").bytes(),
            "the target '/f' of hard link 'link' is an absolute path"),
        Arguments.of("hard link to itself",
            tar().file("f", "x").hardlink("f", "f").bytes(), "points to itself"),
        Arguments.of("symlink without target", tar().symlink("s", "").bytes(), "'s' has an empty target"));
  }

  /** Writes a PAX header by hand, for values the archive writer would not produce. */
  private static Tars withPaxRecord(Tars tars, String key, String value) {
    String body = " " + key + "=" + value + "\n";
    int length = body.getBytes(StandardCharsets.UTF_8).length;
    length += String.valueOf(length + String.valueOf(length).length()).length();
    byte[] record = (length + body).getBytes(StandardCharsets.UTF_8);
    TarArchiveEntry pax = Tars.entry("PaxHeaders/record", TarConstants.LF_PAX_EXTENDED_HEADER_LC);
    pax.setSize(record.length);
    return tars.add(pax, record);
  }

  private static TarArchiveEntry withPaxPath(String path) {
    TarArchiveEntry e = Tars.entry("placeholder", TarConstants.LF_NORMAL);
    e.addPaxHeader("path", path);
    return e;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("refusedMembers")
  void refusesMembersThatCannotBePublished(String what, byte[] archive, String expected) {
    assertMessage(refusal(archive), expected);
  }

  @Test
  void skipsDevicesAndFifosWhenToldToAndCountsThem() throws IOException {
    byte[] archive = tar()
        .dir("dev/")
        .special("dev/null", TarConstants.LF_CHR)
        .special("./dev/sda", TarConstants.LF_BLK)
        .file("dev/shm", "x")
        .special("pipe", TarConstants.LF_FIFO)
        .file("after", "y")
        .bytes();
    ArchiveSource source = ArchiveSource.open(new ByteArrayInputStream(archive), null, Limits.DEFAULT, SpecialFiles.SKIP);
    List<String> skipped = new ArrayList<>();
    source.onSkippedSpecialFile(skipped::add);

    List<Seen> seen = walk(source);
    assertEquals(List.of("dev", "dev/shm", "after"), seen.stream().map(s -> s.entry().path()).toList());
    assertEquals("y", seen.get(2).text());
    assertEquals(3, source.skippedSpecialFiles());
    assertEquals(List.of("dev/null", "dev/sda", "pipe"), skipped);
  }

  @Test
  void skippedSpecialFilesStillNeedValidNames() {
    Limits limits = Limits.DEFAULT;
    List<Arguments> cases = List.of(
        Arguments.of(tar().special("../null", TarConstants.LF_CHR).bytes(), "'../null' has a '..' component"),
        Arguments.of(tar().symlink("link", "/dev").special("link/null", TarConstants.LF_CHR).bytes(),
            "member 'link/null' lies beneath 'link'"),
        Arguments.of(tar().special("./", TarConstants.LF_FIFO).bytes(), "stands for the archive root but is a FIFO"),
        Arguments.of(tar().file("f", "x").special("f", TarConstants.LF_FIFO).hardlink("l", "f").bytes(),
            "hard link 'l' points to 'f', which is not an earlier regular file"));
    for (Arguments c : cases) {
      byte[] archive = (byte[]) c.get()[0];
      InvalidSourceException e = assertThrows(InvalidSourceException.class,
          () -> walk(ArchiveSource.open(new ByteArrayInputStream(archive), null, limits, SpecialFiles.SKIP)));
      assertMessage(e, (String) c.get()[1]);
    }
  }

  @Test
  void refusesSpecialFilesUnlessToldOtherwise() throws IOException {
    byte[] archive = tar().special("dev/null", TarConstants.LF_CHR).bytes();
    ArchiveSource source = ArchiveSource.open(new ByteArrayInputStream(archive), null, Limits.DEFAULT, SpecialFiles.REFUSE);
    assertMessage(assertThrows(InvalidSourceException.class, () -> walk(source)), "'dev/null' is a character device");
    assertEquals(0, source.skippedSpecialFiles());
  }

  @Test
  void refusesBeforeHandingOutLaterEntries() {
    List<String> seen = new ArrayList<>();
    byte[] archive = tar().file("fine", "x").special("pipe", TarConstants.LF_FIFO).file("never", "y").bytes();
    assertThrows(InvalidSourceException.class,
        () -> ArchiveSource.open(new ByteArrayInputStream(archive), null).walk((e, in) -> seen.add(e.path())));
    assertEquals(List.of("fine"), seen);
  }

  @Test
  void refusesTarCutInsideContent() {
    byte[] archive = tar().file("big", new byte[10_000], 0644).bytes();
    InvalidSourceException e = refusal(Arrays.copyOf(archive, 512 + 5000));
    assertMessage(e, "truncated archive");
    assertMessage(e, "'big'");
  }

  @Test
  void refusesTarCutInsidePadding() {
    byte[] archive = tar().file("odd", new byte[1000], 0644).bytes();
    assertMessage(refusal(Arrays.copyOf(archive, 512 + 1010)), "truncated archive: it ends inside the padding");
  }

  @Test
  void refusesTarWithoutEndMarker() {
    byte[] archive = tar().file("a", new byte[1024], 0644).file("b", "b").bytes();
    assertMessage(refusal(Arrays.copyOf(archive, 512 + 1024)),
        "truncated archive: it ends after member 'a' without an end-of-archive marker");
  }

  @Test
  void refusesTarCutInsideHeader() {
    byte[] archive = tar().file("a", new byte[1024], 0644).file("b", "b").bytes();
    assertMessage(refusal(Arrays.copyOf(archive, 512 + 1024 + 200)),
        "truncated archive: it ends inside the header after member 'a'");
  }

  @Test
  void refusesTarCutAfterExtendedHeader() {
    byte[] archive = tar().file("p".repeat(300), "x").bytes();
    // Keep the PAX header and its data, drop the member it describes.
    assertMessage(refusal(Arrays.copyOf(archive, 1024)), "truncated archive");
  }

  @Test
  void handsOutExactlyTheSizeOfTruncatedContentThenFails() {
    byte[] archive = tar().file("big", new byte[10_000], 0644).bytes();
    byte[] cut = Arrays.copyOf(archive, 512 + 4096);
    long[] delivered = new long[1];
    InvalidSourceException e = assertThrows(InvalidSourceException.class,
        () -> ArchiveSource.open(new ByteArrayInputStream(cut), null).walk((entry, in) -> {
          byte[] buf = new byte[1000];
          for (int n; (n = in.read(buf)) >= 0; ) {
            delivered[0] += n;
          }
        }));
    assertMessage(e, "truncated archive");
    assertEquals(4096, delivered[0]);
  }

  @Test
  void refusesTruncatedGzip() throws IOException {
    byte[] archive = gzip(tar().file("a", randomBytes(100_000, 1), 0644).bytes());
    assertMessage(refusal(Arrays.copyOf(archive, archive.length / 2)), "truncated gzip stream");
    // Cut inside the trailer only: the tar is whole, the stream is not.
    assertMessage(refusal(Arrays.copyOf(archive, archive.length - 4)), "truncated gzip stream");
  }

  @Test
  void refusesCorruptGzip() throws IOException {
    byte[] archive = gzip(tar().file("a", randomBytes(100_000, 2), 0644).bytes());
    archive[archive.length / 2] ^= 0x55;
    assertMessage(refusal(archive), "corrupt gzip stream");
  }

  @Test
  void refusesCorruptZstd() throws IOException {
    byte[] archive = zstd(tar().file("a", "hello ".repeat(20_000).getBytes(StandardCharsets.UTF_8), 0644).bytes());
    for (int i = archive.length / 3; i < archive.length / 3 + 16; i++) {
      archive[i] ^= (byte) 0xa5;
    }
    assertMessage(refusal(archive), "corrupt zstd stream");
  }

  @Test
  void refusesTruncatedZstd() throws IOException {
    byte[] archive = zstd(tar().file("a", randomBytes(100_000, 3), 0644).bytes());
    assertMessage(refusal(Arrays.copyOf(archive, archive.length / 2)), "truncated zstd stream");
  }

  @Test
  void refusesGarbage() {
    assertMessage(refusal(randomBytes(4096, 4)), "not a tar, tar.gz or tar.zst archive");
    assertMessage(refusal("hello, world\n".getBytes(StandardCharsets.UTF_8)), "not a tar, tar.gz or tar.zst archive");
    assertMessage(refusal(new byte[0]), "not a tar, tar.gz or tar.zst archive");
  }

  @Test
  void refusesCompressedGarbage() throws IOException {
    assertMessage(refusal(gzip(randomBytes(4096, 5))), "the gzip stream does not hold a tar archive");
    assertMessage(refusal(zstd("not a tar".getBytes(StandardCharsets.UTF_8))),
        "the zstd stream does not hold a tar archive");
  }

  @Test
  void refusesAFormatThatDoesNotMatch() {
    byte[] plain = sample();
    InvalidSourceException e = assertThrows(InvalidSourceException.class,
        () -> walk(ArchiveSource.open(new ByteArrayInputStream(plain), ArchiveFormat.TAR_GZ)));
    assertMessage(e, "corrupt gzip stream");
    e = assertThrows(InvalidSourceException.class,
        () -> walk(ArchiveSource.open(new ByteArrayInputStream(randomBytes(2048, 6)), ArchiveFormat.TAR)));
    assertMessage(e, "not a tar archive");
  }

  @ParameterizedTest
  @EnumSource(ArchiveFormat.class)
  void passesFailuresOfTheInputOnUntouched(ArchiveFormat format) throws IOException {
    byte[] plain = tar().file("a", randomBytes(300_000, 7), 0644).bytes();
    byte[] archive = switch (format) {
      case TAR -> plain;
      case TAR_GZ -> gzip(plain);
      case TAR_ZST -> zstd(plain);
    };
    IOException failure = new IOException("connection reset");
    InputStream failing = new InputStream() {
      private int position;

      @Override
      public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
      }

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        if (position >= archive.length / 2) {
          throw failure;
        }
        int n = Math.min(len, archive.length / 2 - position);
        System.arraycopy(archive, position, b, off, n);
        position += n;
        return n;
      }
    };
    IOException thrown = assertThrows(IOException.class, () -> walk(ArchiveSource.open(failing, null)));
    assertEquals(failure, thrown);
  }

  @Test
  void enforcesTheEntryLimit() {
    byte[] archive = tar().dir("./").file("a", "a").file("b", "b").file("c", "c").bytes();
    assertMessage(refusal(archive, new Limits(3, Long.MAX_VALUE, Long.MAX_VALUE)),
        "archive expands past the limit of 3 entries");
  }

  @Test
  void enforcesTheFileSizeLimitBeforeHandingOutContent() {
    byte[] archive = tar().file("small", new byte[100], 0644).file("large", new byte[101], 0644).bytes();
    List<String> seen = new ArrayList<>();
    InvalidSourceException e = assertThrows(InvalidSourceException.class,
        () -> ArchiveSource.open(new ByteArrayInputStream(archive), null, new Limits(10, 100, Long.MAX_VALUE))
            .walk((entry, in) -> seen.add(entry.path())));
    assertMessage(e, "member 'large' is larger than the limit of 100 bytes");
    assertEquals(List.of("small"), seen);
  }

  @Test
  void enforcesTheTotalSizeLimit() {
    // The hard link is one more copy of its 600 bytes in the published tree.
    byte[] archive = tar().file("a", new byte[600], 0644).hardlink("b", "a").file("c", new byte[500], 0644).bytes();
    assertMessage(refusal(archive, new Limits(10, 1000, 1699)), "archive expands past the limit of 1699 bytes");
    assertDoesNotThrow(
        () -> walk(ArchiveSource.open(new ByteArrayInputStream(archive), null, new Limits(10, 1000, 1700))));
  }

  @Test
  void capsTheSizeOfExtendedHeaders() {
    // One PAX record of 9 MiB; the parser would keep all of it in memory.
    int length = 9 << 20;
    String prefix = length + " comment=";
    byte[] record = (prefix + "c".repeat(length - prefix.length() - 1) + "\n").getBytes(StandardCharsets.US_ASCII);
    TarArchiveEntry pax = Tars.entry("PaxHeaders/huge", TarConstants.LF_PAX_EXTENDED_HEADER_LC);
    pax.setSize(record.length);
    byte[] archive = tar().add(pax, record).file("huge", "x").bytes();
    assertMessage(refusal(archive), "the headers of a member exceed the limit");
  }

  @Test
  void letsTheVisitorSkipOrPartlyReadContent() throws IOException {
    byte[] archive = tar()
        .file("skipped", randomBytes(70_000, 8), 0644)
        .file("partly", randomBytes(70_000, 9), 0644)
        .file("whole", "the end")
        .bytes();
    List<String> texts = new ArrayList<>();
    AtomicReference<InputStream> kept = new AtomicReference<>();
    ArchiveSource.open(new ByteArrayInputStream(archive), null).walk((entry, in) -> {
      switch (entry.path()) {
        case "partly" -> {
          assertEquals(1000, in.readNBytes(1000).length);
          in.close();
          kept.set(in);
        }
        case "whole" -> {
          texts.add(new String(in.readAllBytes(), StandardCharsets.UTF_8));
          assertEquals(-1, in.read());
        }
        default -> { }
      }
    });
    assertEquals(List.of("the end"), texts);
    assertThrows(IOException.class, () -> kept.get().read());
  }

  @Test
  void canOnlyBeWalkedOnce() throws IOException {
    ArchiveSource source = ArchiveSource.open(new ByteArrayInputStream(sample()), null);
    walk(source);
    assertThrows(IllegalStateException.class, () -> walk(source));
  }

  @Test
  void streamsALargeEntryThroughAPipe() throws Exception {
    long size = 64L << 20;
    PipedInputStream pipeIn = new PipedInputStream(1 << 20);
    PipedOutputStream pipeOut = new PipedOutputStream(pipeIn);
    AtomicReference<byte[]> written = new AtomicReference<>();
    AtomicReference<Throwable> writerFailure = new AtomicReference<>();
    Thread writer = new Thread(() -> {
      try (TarArchiveOutputStream out = new TarArchiveOutputStream(pipeOut)) {
        out.putArchiveEntry(Tars.entry("before", TarConstants.LF_DIR));
        out.closeArchiveEntry();
        TarArchiveEntry big = Tars.entry("big.bin", TarConstants.LF_NORMAL);
        big.setSize(size);
        out.putArchiveEntry(big);
        MessageDigest digest = MessageDigest.getInstance("SHA-256");
        SplittableRandom random = new SplittableRandom(42);
        byte[] chunk = new byte[1 << 16];
        for (long left = size; left > 0; left -= chunk.length) {
          random.nextBytes(chunk);
          digest.update(chunk);
          out.write(chunk);
        }
        out.closeArchiveEntry();
        out.putArchiveEntry(Tars.entry("after", TarConstants.LF_DIR));
        out.closeArchiveEntry();
        written.set(digest.digest());
      } catch (Throwable t) {
        writerFailure.set(t);
      }
    }, "tar-writer");
    writer.setDaemon(true);
    writer.start();

    List<String> paths = new ArrayList<>();
    MessageDigest digest = MessageDigest.getInstance("SHA-256");
    long[] read = new long[1];
    try (pipeIn) {
      ArchiveSource.open(pipeIn, null).walk((entry, in) -> {
        paths.add(entry.path());
        if (in != null) {
          byte[] buf = new byte[1 << 16];
          for (int n; (n = in.read(buf)) >= 0; ) {
            digest.update(buf, 0, n);
            read[0] += n;
          }
        }
      });
    }
    writer.join(TimeUnit.SECONDS.toMillis(30));
    assertNull(writerFailure.get());
    assertEquals(List.of("before", "big.bin", "after"), paths);
    assertEquals(size, read[0]);
    assertArrayEquals(written.get(), digest.digest());
  }

  @Test
  void streamsLargeCompressedArchives() throws IOException {
    byte[] content = randomBytes(3 << 20, 10);
    byte[] plain = tar().file("one", content, 0644).file("two", "hello ".repeat(500_000).getBytes(StandardCharsets.UTF_8), 0644)
        .bytes();
    for (byte[] archive : List.of(gzip(plain), zstd(plain))) {
      List<Seen> seen = read(archive);
      assertArrayEquals(content, seen.get(0).content());
      assertEquals(3_000_000, seen.get(1).content().length);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"gnu", "posix"})
  void readsSparseFilesWrittenByGnuTar(String tarFormat, @TempDir Path dir) throws Exception {
    Path file = dir.resolve("sparse");
    try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
      raf.setLength(4 << 20);
      raf.seek(0);
      raf.write("start".getBytes(StandardCharsets.UTF_8));
      raf.seek(2 << 20);
      raf.write("middle".getBytes(StandardCharsets.UTF_8));
    }
    Path archive = dir.resolve("sparse.tar");
    assumeTrue(runTar(dir, "--sparse", "--format=" + tarFormat, "-cf", archive.toString(), "sparse"), "no GNU tar");
    try (TarArchiveInputStream check = new TarArchiveInputStream(Files.newInputStream(archive))) {
      assumeTrue(check.getNextEntry().isSparse(), "the file system kept no holes");
    }

    List<Seen> seen;
    try (InputStream in = Files.newInputStream(archive)) {
      seen = walk(ArchiveSource.open(in, null));
    }
    assertEquals(1, seen.size());
    assertEquals(EntryType.REGULAR, seen.get(0).entry().type());
    assertEquals(4 << 20, seen.get(0).entry().size());
    assertArrayEquals(Files.readAllBytes(file), seen.get(0).content());
  }

  @Test
  void sniffNeedsMarkSupport() throws IOException {
    assertThrows(IllegalArgumentException.class, () -> ArchiveFormat.sniff(InputStream.nullInputStream()));
    assertFalse(ArchiveFormat.sniff(bufferedOf(new byte[10])).isPresent());
  }

  private static BufferedInputStream bufferedOf(byte[] bytes) {
    return new BufferedInputStream(new ByteArrayInputStream(bytes));
  }

  private static byte[] randomBytes(int n, long seed) {
    byte[] b = new byte[n];
    new SplittableRandom(seed).nextBytes(b);
    return b;
  }
}
