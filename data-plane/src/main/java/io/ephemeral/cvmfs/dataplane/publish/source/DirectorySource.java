package io.ephemeral.cvmfs.dataplane.publish.source;

import static java.nio.file.LinkOption.NOFOLLOW_LINKS;

import io.ephemeral.cvmfs.dataplane.publish.source.SourceEntry.EntryType;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Walks a directory tree on a Linux file system. The root itself is emitted first as the
 * directory {@code ""}; below it symlinks are never followed, parents come before their
 * children, and siblings are sorted by name, so the same tree always yields the same sequence.
 * Files sharing an inode are emitted once as {@link EntryType#REGULAR} and then as
 * {@link EntryType#HARDLINK}s to that first path. Devices, FIFOs and sockets are refused.
 *
 * <p>The root may be given as a symlink to a directory: that one is the operator's choice.
 *
 * <p>The tree is held to what an archive is held to: the {@link EntryPaths} rules on depth and
 * length of paths and names, checked before a directory is entered, and the {@link
 * ArchiveSource.Limits} on entries and bytes, with the same messages.
 */
public final class DirectorySource implements TreeSource {

  private static final String ATTRIBUTES = "unix:mode,ino,dev,nlink,uid,gid,size,lastModifiedTime";
  private static final int BUFFER_SIZE = 64 * 1024;

  private static final int S_IFMT = 0170000;
  private static final int S_IFSOCK = 0140000;
  private static final int S_IFLNK = 0120000;
  private static final int S_IFREG = 0100000;
  private static final int S_IFBLK = 0060000;
  private static final int S_IFDIR = 0040000;
  private static final int S_IFCHR = 0020000;
  private static final int S_IFIFO = 0010000;

  private final Path root;
  private final ArchiveSource.Limits limits;

  /** With {@link ArchiveSource.Limits#DEFAULT}. */
  public DirectorySource(Path root) {
    this(root, ArchiveSource.Limits.DEFAULT);
  }

  public DirectorySource(Path root, ArchiveSource.Limits limits) {
    this.root = Objects.requireNonNull(root, "root");
    this.limits = Objects.requireNonNull(limits, "limits");
  }

  @Override
  public void walk(TreeVisitor visitor) throws IOException {
    Objects.requireNonNull(visitor, "visitor");
    Attributes top;
    try {
      top = Attributes.of(root);
    } catch (NoSuchFileException e) {
      throw new InvalidSourceException("directory " + root + " does not exist", e);
    }
    if (top.type() != S_IFDIR) {
      throw new InvalidSourceException(root + " is not a directory");
    }
    Budget budget = new Budget(limits);
    budget.entry();
    visitor.visit(SourceEntry.directory("", top.permissions(), top.mtime(), top.uid(), top.gid()), null);

    // An explicit stack rather than recursion: trees can be deeper than the thread stack allows.
    Deque<Pending> pending = new ArrayDeque<>();
    pushChildren(root, "", pending);
    Map<InodeKey, String> firstLinks = new HashMap<>();
    byte[] scratch = new byte[BUFFER_SIZE];
    while (!pending.isEmpty()) {
      Pending next = pending.pop();
      Attributes a = Attributes.of(next.file(), NOFOLLOW_LINKS);
      String path = next.path();
      budget.entry();
      switch (a.type()) {
        case S_IFDIR -> {
          visitor.visit(SourceEntry.directory(path, a.permissions(), a.mtime(), a.uid(), a.gid()), null);
          pushChildren(next.file(), path, pending);
        }
        case S_IFLNK -> {
          // Java normalises redundant slashes in the target; otherwise it is the text as stored.
          String target = Files.readSymbolicLink(next.file()).toString();
          int targetBytes = EntryPaths.utf8Length(target);
          if (targetBytes > EntryPaths.MAX_PATH_BYTES) {
            throw new InvalidSourceException("symlink " + EntryPaths.quote(path) + " has a target longer than the limit of "
                + EntryPaths.MAX_PATH_BYTES + " bytes (PATH_MAX)");
          }
          budget.bytes(targetBytes);
          visitor.visit(
              new SourceEntry(path, EntryType.SYMLINK, a.permissions(), 0, a.mtime(), a.uid(), a.gid(), target), null);
        }
        case S_IFREG -> {
          String first = a.nlink() > 1 ? firstLinks.putIfAbsent(new InodeKey(a.dev(), a.ino()), path) : null;
          if (first == null && a.size() > limits.maxFileSize()) {
            throw new LimitExceededException("file " + EntryPaths.quote(path) + " is larger than the limit of "
                + limits.maxFileSize() + " bytes");
          }
          budget.bytes(a.size());
          if (first != null) {
            visitor.visit(new SourceEntry(
                path, EntryType.HARDLINK, a.permissions(), a.size(), a.mtime(), a.uid(), a.gid(), first), null);
          } else {
            visitRegular(visitor, next.file(), path, a, scratch);
          }
        }
        case S_IFIFO -> throw refused(next.file(), "a FIFO");
        case S_IFSOCK -> throw refused(next.file(), "a socket");
        case S_IFCHR -> throw refused(next.file(), "a character device");
        case S_IFBLK -> throw refused(next.file(), "a block device");
        default -> throw refused(next.file(), "of unknown type " + Integer.toOctalString(a.type()));
      }
    }
  }

  private static void visitRegular(TreeVisitor visitor, Path file, String path, Attributes a, byte[] scratch)
      throws IOException {
    SourceEntry entry = new SourceEntry(
        path, EntryType.REGULAR, a.permissions(), a.size(), a.mtime(), a.uid(), a.gid(), null);
    try (InputStream in = Files.newInputStream(file, NOFOLLOW_LINKS)) {
      ExactSizeInputStream content = new ExactSizeInputStream(in, a.size()) {
        @Override
        protected IOException endedEarly(long read, long size) {
          return new InvalidSourceException(
              file + " shrank while being read: it ended after " + read + " of " + size + " bytes");
        }
      };
      visitor.visit(entry, content);
      content.finish(scratch);
      // What was published must be what was announced; a file still being written is not.
      if (in.read() >= 0) {
        throw new InvalidSourceException(file + " grew while being read");
      }
    }
  }

  private static void pushChildren(Path dir, String path, Deque<Pending> pending) throws IOException {
    List<String> names = new ArrayList<>();
    try (DirectoryStream<Path> children = Files.newDirectoryStream(dir)) {
      for (Path child : children) {
        names.add(child.getFileName().toString());
      }
    }
    names.sort(EntryPaths.CODE_POINT_ORDER);
    // Pushed last to first so that the stack hands them out in order.
    for (int i = names.size() - 1; i >= 0; i--) {
      String name = names.get(i);
      String child = EntryPaths.child(path, name);
      // Before anything below is opened: a tree too deep or too long is refused as an archive would be.
      EntryPaths.normalize(child, "entry " + EntryPaths.quote(child));
      pending.push(new Pending(dir.resolve(name), child));
    }
  }

  private static InvalidSourceException refused(Path file, String what) {
    return new InvalidSourceException("cannot publish " + file + ": it is " + what);
  }

  private record Pending(Path file, String path) {}

  /** The entries and bytes of the walk so far, against the limits. */
  private static final class Budget {
    private final ArchiveSource.Limits limits;
    private long entries;
    private long bytes;

    Budget(ArchiveSource.Limits limits) {
      this.limits = limits;
    }

    void entry() throws LimitExceededException {
      if (++entries > limits.maxEntries()) {
        throw new LimitExceededException("directory expands past the limit of " + limits.maxEntries() + " entries");
      }
    }

    /** Bytes an entry adds to the tree: a file's content, a hard link's one more copy, a symlink's target. */
    void bytes(long added) throws LimitExceededException {
      if (added > limits.maxTotalBytes() - bytes) {
        throw new LimitExceededException("directory expands past the limit of " + limits.maxTotalBytes() + " bytes");
      }
      bytes += added;
    }
  }

  private record InodeKey(long dev, long ino) {}

  /** The stat fields a publication needs, read in one call. */
  private record Attributes(int mode, long dev, long ino, int nlink, int uid, int gid, long size, long mtime) {

    static Attributes of(Path file, LinkOption... options) throws IOException {
      Map<String, Object> a = Files.readAttributes(file, ATTRIBUTES, options);
      return new Attributes(
          (Integer) a.get("mode"),
          (Long) a.get("dev"),
          (Long) a.get("ino"),
          (Integer) a.get("nlink"),
          (Integer) a.get("uid"),
          (Integer) a.get("gid"),
          (Long) a.get("size"),
          ((FileTime) a.get("lastModifiedTime")).toInstant().getEpochSecond());
    }

    int type() {
      return mode & S_IFMT;
    }

    int permissions() {
      return mode & 07777;
    }
  }
}
