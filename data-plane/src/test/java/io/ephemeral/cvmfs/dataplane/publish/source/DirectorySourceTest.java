package io.ephemeral.cvmfs.dataplane.publish.source;

import static io.ephemeral.cvmfs.dataplane.testsupport.Tars.walk;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.ephemeral.cvmfs.dataplane.publish.source.SourceEntry.EntryType;
import io.ephemeral.cvmfs.dataplane.testsupport.Tars.Seen;
import io.ephemeral.cvmfs.dataplane.testsupport.Tars;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DirectorySourceTest {

  private static final long MTIME = 1_600_000_000L;

  @TempDir
  Path temp;
  private Path root;
  private int uid;
  private int gid;

  @BeforeEach
  void createRoot() throws IOException {
    root = Files.createDirectory(temp.resolve("root"));
    uid = (Integer) Files.getAttribute(root, "unix:uid");
    gid = (Integer) Files.getAttribute(root, "unix:gid");
  }

  private Path file(String path, String content, int mode) throws IOException {
    Path p = root.resolve(path);
    Files.createDirectories(p.getParent());
    Files.writeString(p, content);
    Files.setAttribute(p, "unix:mode", mode);
    Files.setLastModifiedTime(p, FileTime.from(Instant.ofEpochSecond(MTIME)));
    return p;
  }

  private static void mode(Path p, int mode) throws IOException {
    Files.setAttribute(p, "unix:mode", mode);
  }

  @Test
  void emitsTheTreeInDeterministicOrderWithMetadata() throws IOException {
    file("b.txt", "bee", 0644);
    file("a/run.sh", "#!/bin/sh\n", 0755);
    file("a/secret", "", 0600);
    file("a/suid", "s", 04755);
    Files.createSymbolicLink(root.resolve("a/z-rel"), Path.of("../b.txt"));
    Files.createSymbolicLink(root.resolve("abs"), Path.of("/nonexistent/target"));
    Files.createDirectories(root.resolve("empty"));
    Files.createLink(root.resolve("c-hard"), root.resolve("a/run.sh"));
    mode(root.resolve("a"), 0750);
    mode(root.resolve("empty"), 0700);
    mode(root, 0755);
    for (String dir : List.of("a", "empty", "")) {
      Files.setLastModifiedTime(root.resolve(dir), FileTime.from(Instant.ofEpochSecond(MTIME + 1)));
    }

    List<Seen> seen = walk(new DirectorySource(root));

    long linkTime = ((FileTime) Files.getAttribute(root.resolve("abs"), "lastModifiedTime",
        LinkOption.NOFOLLOW_LINKS)).toInstant().getEpochSecond();
    long relTime = ((FileTime) Files.getAttribute(root.resolve("a/z-rel"), "lastModifiedTime",
        LinkOption.NOFOLLOW_LINKS)).toInstant().getEpochSecond();
    List<SourceEntry> expected = List.of(
        SourceEntry.directory("", 0755, MTIME + 1, uid, gid),
        SourceEntry.directory("a", 0750, MTIME + 1, uid, gid),
        new SourceEntry("a/run.sh", EntryType.REGULAR, 0755, 10, MTIME, uid, gid, null),
        new SourceEntry("a/secret", EntryType.REGULAR, 0600, 0, MTIME, uid, gid, null),
        new SourceEntry("a/suid", EntryType.REGULAR, 04755, 1, MTIME, uid, gid, null),
        new SourceEntry("a/z-rel", EntryType.SYMLINK, 0777, 0, relTime, uid, gid, "../b.txt"),
        new SourceEntry("abs", EntryType.SYMLINK, 0777, 0, linkTime, uid, gid, "/nonexistent/target"),
        new SourceEntry("b.txt", EntryType.REGULAR, 0644, 3, MTIME, uid, gid, null),
        new SourceEntry("c-hard", EntryType.HARDLINK, 0755, 10, MTIME, uid, gid, "a/run.sh"),
        SourceEntry.directory("empty", 0700, MTIME + 1, uid, gid));
    assertEquals(expected, seen.stream().map(Seen::entry).toList());
    assertEquals("#!/bin/sh\n", seen.get(2).text());
    assertEquals("bee", seen.get(7).text());
    assertNull(seen.get(8).content());
  }

  @Test
  void sortsSiblingsByCodePoint() throws IOException {
    for (String name : List.of("b", "B", "_", "a", "ä", "😀", "\uffff", "a.b", "a-b")) {
      file(name, name, 0644);
    }
    List<String> paths = walk(new DirectorySource(root)).stream().map(s -> s.entry().path()).toList();
    assertEquals(List.of("", "B", "_", "a", "a-b", "a.b", "b", "ä", "\uffff", "😀"), paths);
  }

  @Test
  void hardLinksPointToTheFirstPathInWalkOrder() throws IOException {
    Path original = file("z/original", "shared", 0644);
    Files.createLink(root.resolve("a-first"), original);
    Files.createDirectories(root.resolve("m"));
    Files.createLink(root.resolve("m/middle"), original);
    // A link outside the root makes the inode shared, but inside it there is one path only.
    Path lonely = file("lonely", "alone", 0644);
    Files.createLink(temp.resolve("outside"), lonely);

    List<Seen> seen = walk(new DirectorySource(root));
    List<String> summary = new ArrayList<>();
    for (Seen s : seen) {
      summary.add(s.entry().path() + " " + s.entry().type() + " " + s.entry().linkTarget());
    }
    assertEquals(List.of(
        " DIRECTORY null",
        "a-first REGULAR null",
        "lonely REGULAR null",
        "m DIRECTORY null",
        "m/middle HARDLINK a-first",
        "z DIRECTORY null",
        "z/original HARDLINK a-first"), summary);
    assertEquals("shared", seen.get(1).text());
  }

  @Test
  void refusesAFifo() throws Exception {
    Files.createDirectories(root.resolve("sub"));
    Process mkfifo;
    try {
      mkfifo = new ProcessBuilder("mkfifo", root.resolve("sub/pipe").toString()).start();
    } catch (IOException e) {
      assumeTrue(false, "no mkfifo command");
      return;
    }
    assumeTrue(mkfifo.waitFor() == 0, "mkfifo failed");
    InvalidSourceException e = assertThrows(InvalidSourceException.class, () -> walk(new DirectorySource(root)));
    assertTrue(e.getMessage().contains("sub/pipe"), e.getMessage());
    assertTrue(e.getMessage().contains("FIFO"), e.getMessage());
  }

  @Test
  void refusesASocket() throws IOException {
    Path socket = root.resolve("s.sock");
    try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      server.bind(UnixDomainSocketAddress.of(socket));
      InvalidSourceException e = assertThrows(InvalidSourceException.class, () -> walk(new DirectorySource(root)));
      assertTrue(e.getMessage().contains("s.sock") && e.getMessage().contains("socket"), e.getMessage());
    }
  }

  @Test
  void refusesAMissingRoot() {
    InvalidSourceException e = assertThrows(InvalidSourceException.class,
        () -> walk(new DirectorySource(temp.resolve("missing"))));
    assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
  }

  @Test
  void refusesARootThatIsAFile() throws IOException {
    Path plain = Files.writeString(temp.resolve("plain"), "x");
    InvalidSourceException e = assertThrows(InvalidSourceException.class, () -> walk(new DirectorySource(plain)));
    assertTrue(e.getMessage().contains("is not a directory"), e.getMessage());
  }

  @Test
  void followsARootSymlinkButNothingBelow() throws IOException {
    file("dir/f", "f", 0644);
    Files.createSymbolicLink(root.resolve("to-dir"), Path.of("dir"));
    Path alias = Files.createSymbolicLink(temp.resolve("alias"), root);

    List<Seen> seen = walk(new DirectorySource(alias));
    assertEquals(List.of("", "dir", "dir/f", "to-dir"), seen.stream().map(s -> s.entry().path()).toList());
    assertEquals(EntryType.SYMLINK, seen.get(3).entry().type());
    assertEquals("dir", seen.get(3).entry().linkTarget());
  }

  @Test
  void handsOutExactlyTheFileContent() throws IOException {
    byte[] big = new byte[200_000];
    new SplittableRandom(1).nextBytes(big);
    Path p = root.resolve("big");
    Files.write(p, big);
    file("small", "small", 0644);
    List<String> seen = new ArrayList<>();
    new DirectorySource(root).walk((entry, in) -> {
      if (entry.path().equals("big")) {
        assertEquals(1000, in.readNBytes(1000).length); // and leave the rest unread
      } else if (in != null) {
        seen.add(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        assertEquals(-1, in.read());
      }
    });
    assertEquals(List.of("small"), seen);
  }

  @Test
  void refusesAFileThatGrowsWhileRead() throws IOException {
    Path p = file("growing", "1234", 0644);
    InvalidSourceException e = assertThrows(InvalidSourceException.class,
        () -> new DirectorySource(root).walk((entry, in) -> {
          if (in != null) {
            Files.writeString(p, "12345678");
          }
        }));
    assertTrue(e.getMessage().contains("grew while being read"), e.getMessage());
  }

  @Test
  void refusesAFileThatShrinksWhileRead() throws IOException {
    Path p = file("shrinking", "12345678", 0644);
    InvalidSourceException e = assertThrows(InvalidSourceException.class,
        () -> new DirectorySource(root).walk((entry, in) -> {
          if (in != null) {
            Files.writeString(p, "1234");
            in.readAllBytes();
          }
        }));
    assertTrue(e.getMessage().contains("shrank while being read"), e.getMessage());
  }

  // The limits archives are held to hold for directories too.

  @Test
  void aDirectoryDeeperThanTheLimitIsRefusedBeforeItsDepthsAreWalked() throws IOException {
    Path deep = root;
    for (int i = 0; i < EntryPaths.MAX_DEPTH + 20; i++) {
      deep = deep.resolve("d");
    }
    Files.createDirectories(deep);
    List<String> visited = new ArrayList<>();
    InvalidSourceException e = assertThrows(InvalidSourceException.class,
        () -> new DirectorySource(root).walk((entry, in) -> visited.add(entry.path())));
    assertTrue(e.getMessage().contains("deeper than the limit of " + EntryPaths.MAX_DEPTH + " levels"), e.getMessage());
    assertEquals(EntryPaths.MAX_DEPTH + 1, visited.size()); // the root and 256 levels, nothing deeper
  }

  @Test
  void aPathLongerThanPathMaxIsRefusedLikeAnArchiveMember() throws IOException {
    // 3,900 bytes of directories below the root, then a name of 250: past PATH_MAX below the root.
    // The file is made in a short directory moved in whole, as its absolute path cannot be opened.
    String name = "n".repeat(250);
    Path dir = root;
    for (int i = 0; i < 15; i++) {
      dir = dir.resolve(name);
    }
    dir = dir.resolve("f".repeat(3900 - 15 * 251));
    assumeTrue(dir.toString().length() + 2 < 4095, "the temporary directory has too long a path");
    Files.createDirectories(dir);
    Path holder = Files.createDirectory(temp.resolve("x"));
    Files.writeString(holder.resolve(name), "x");
    Files.move(holder, dir.resolve("x"));
    try {
      InvalidSourceException e = assertThrows(InvalidSourceException.class, () -> walk(new DirectorySource(root)));
      assertTrue(e.getMessage().contains("longer than the limit of " + EntryPaths.MAX_PATH_BYTES + " bytes (PATH_MAX)"),
          e.getMessage());
    } finally {
      // Out again, so that the temporary directory can be removed by its paths.
      Files.move(dir.resolve("x"), holder);
    }
  }

  @Test
  void entriesAndBytesAreCountedAgainstTheLimits() throws IOException {
    for (int i = 0; i < 5; i++) {
      file("f" + i, "0123456789", 0644);
    }
    InvalidSourceException entries = assertThrows(LimitExceededException.class,
        () -> walk(new DirectorySource(root, new ArchiveSource.Limits(5, 100, 100))));
    assertEquals("directory expands past the limit of 5 entries", entries.getMessage());
    InvalidSourceException big = assertThrows(LimitExceededException.class,
        () -> walk(new DirectorySource(root, new ArchiveSource.Limits(100, 9, 100))));
    assertEquals("file 'f0' is larger than the limit of 9 bytes", big.getMessage());
    Files.createLink(root.resolve("g"), root.resolve("f0"));
    InvalidSourceException total = assertThrows(LimitExceededException.class,
        () -> walk(new DirectorySource(root, new ArchiveSource.Limits(100, 10, 55))));
    assertEquals("directory expands past the limit of 55 bytes", total.getMessage());
    assertEquals(7, walk(new DirectorySource(root, new ArchiveSource.Limits(7, 10, 60))).size());
  }
}
