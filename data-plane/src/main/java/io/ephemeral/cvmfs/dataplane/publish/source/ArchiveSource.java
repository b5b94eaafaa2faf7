package io.ephemeral.cvmfs.dataplane.publish.source;

import static io.ephemeral.cvmfs.dataplane.publish.source.ArchiveFormat.TAR_BLOCK;
import static io.ephemeral.cvmfs.dataplane.publish.source.EntryPaths.quote;

import io.ephemeral.cvmfs.dataplane.publish.source.SourceEntry.EntryType;
import java.io.IOException;
import java.io.InputStream;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveStructSparse;

/**
 * Streams the members of a tar archive, plain or compressed with gzip or zstd, without holding
 * the archive in memory. Member names are normalised to the {@link SourceEntry} rules and every
 * member that could not be published safely is refused: names leaving the root or passing
 * through a symlink of the archive, dangling hard links, and devices and FIFOs unless the
 * {@link SpecialFiles} policy says to skip them. Missing parent directories and repeated names
 * are passed on as they come; the consumer decides about them.
 *
 * <p>Reading the archive itself, headers, compression and truncation, is {@link TarReader}'s; this
 * class maps its members to entries. The caller keeps ownership of the input stream and closes
 * it. A source can be walked once.
 */
public final class ArchiveSource implements TreeSource {

  /**
   * Bounds on what an archive may expand to, checked against the member headers while
   * streaming, before any content is handed out.
   *
   * @param maxEntries members emitted, the root included
   * @param maxFileSize size of one regular file, in bytes
   * @param maxTotalBytes sum of the sizes of all regular files, in bytes
   */
  public record Limits(long maxEntries, long maxFileSize, long maxTotalBytes) {

    /** A million entries, no bound on sizes. */
    public static final Limits DEFAULT = new Limits(1_000_000, Long.MAX_VALUE, Long.MAX_VALUE);

    public Limits {
      if (maxEntries < 0 || maxFileSize < 0 || maxTotalBytes < 0) {
        throw new IllegalArgumentException("limits must not be negative");
      }
    }
  }

  /** What to do with device and FIFO members, which a publication cannot hold. */
  public enum SpecialFiles {
    /** Refuse the archive, naming the member. */
    REFUSE,
    /**
     * Leave the member out and count it in {@link #skippedSpecialFiles()}. Meant for archives
     * where such nodes are expected and meaningless once published, like container images.
     */
    SKIP
  }

  static final String NOT_AN_ARCHIVE = "not a tar, tar.gz or tar.zst archive";

  private static final int BUFFER_SIZE = 64 * 1024;

  private final TarReader reader;
  private final Limits limits;
  private final SpecialFiles specialFiles;
  private Consumer<String> skippedListener = path -> { };
  private long skippedSpecialFiles;
  private boolean walked;

  private ArchiveSource(TarReader reader, Limits limits, SpecialFiles specialFiles) {
    this.reader = reader;
    this.limits = limits;
    this.specialFiles = specialFiles;
  }

  /** {@link #open(InputStream, ArchiveFormat, Limits)} with {@link Limits#DEFAULT}. */
  public static ArchiveSource open(InputStream in, ArchiveFormat format) throws IOException {
    return open(in, format, Limits.DEFAULT);
  }

  /**
   * Prepares to read an archive from {@code in}.
   *
   * @param format the container, or {@code null} to recognise it from the first bytes
   * @throws InvalidSourceException when {@code format} is null and the bytes are no known archive
   */
  public static ArchiveSource open(InputStream in, ArchiveFormat format, Limits limits) throws IOException {
    return open(in, format, limits, SpecialFiles.REFUSE);
  }

  /**
   * Prepares to read an archive from {@code in}, handling devices and FIFOs as {@code specialFiles}
   * says.
   *
   * @param format the container, or {@code null} to recognise it from the first bytes
   * @throws InvalidSourceException when {@code format} is null and the bytes are no known archive
   */
  public static ArchiveSource open(InputStream in, ArchiveFormat format, Limits limits, SpecialFiles specialFiles)
      throws IOException {
    Objects.requireNonNull(in, "in");
    Objects.requireNonNull(limits, "limits");
    Objects.requireNonNull(specialFiles, "specialFiles");
    return new ArchiveSource(TarReader.prepare(in, format), limits, specialFiles);
  }

  /** The container being read, as given or recognised. */
  public ArchiveFormat format() {
    return reader.format();
  }

  /** How many device and FIFO members the walk left out under {@link SpecialFiles#SKIP}. */
  public long skippedSpecialFiles() {
    return skippedSpecialFiles;
  }

  /**
   * Tells {@code listener} the normalised path of every special member left out, in archive order
   * between the visits: a reader layering archives needs to know what such a member replaces.
   */
  void onSkippedSpecialFile(Consumer<String> listener) {
    this.skippedListener = Objects.requireNonNull(listener, "listener");
  }

  @Override
  public void walk(TreeVisitor visitor) throws IOException {
    Objects.requireNonNull(visitor, "visitor");
    if (walked) {
      throw new IllegalStateException("an archive can only be walked once");
    }
    walked = true;
    try (TarReader tar = reader) {
      new Walk(visitor, tar).run();
    }
  }

  /** The state of one pass over the archive: what its members mean as entries of the tree. */
  private final class Walk {

    private final TreeVisitor visitor;
    private final TarReader tar;
    private final byte[] scratch = new byte[BUFFER_SIZE];
    /** Sizes of the regular files emitted so far, by path: the only valid hard link targets. */
    private final Map<String, Long> regularFiles = new HashMap<>();
    /** Every path emitted as a symlink; nothing may be placed beneath one. */
    private final Set<String> symlinks = new HashSet<>();

    private long entries;
    private long totalBytes;

    Walk(TreeVisitor visitor, TarReader tar) {
      this.visitor = visitor;
      this.tar = tar;
    }

    void run() throws IOException {
      tar.start();
      for (TarArchiveEntry member; (member = tar.next()) != null; ) {
        process(member);
      }
      tar.finish();
    }

    private void process(TarArchiveEntry member) throws IOException {
      String name = member.getName();
      String special = specialKind(member.getLinkFlag());
      if (special != null) {
        skipSpecial(member, special);
        return;
      }
      EntryType type = typeOf(member);
      if (type == null) {
        // A volume label names the tape, not a file.
        tar.skipData(member);
        return;
      }
      String path = EntryPaths.normalize(name, "member " + quote(name));
      checkNotBeneathSymlink(path, name);
      if (path.isEmpty() && type != EntryType.DIRECTORY) {
        throw new InvalidSourceException("member " + quote(name) + " stands for the archive root but is not a directory");
      }
      if (++entries > limits.maxEntries()) {
        throw new LimitExceededException("archive expands past the limit of " + limits.maxEntries() + " entries");
      }
      int mode = member.getMode();
      long mtime = member.getLastModifiedTime().toInstant().getEpochSecond();
      int uid = id(member.getLongUserId(), "uid", name);
      int gid = id(member.getLongGroupId(), "gid", name);

      switch (type) {
        case DIRECTORY -> {
          visitor.visit(SourceEntry.directory(path, mode, mtime, uid, gid), null);
          regularFiles.remove(path);
        }
        case SYMLINK -> {
          String target = member.getLinkName();
          if (target.isEmpty()) {
            throw new InvalidSourceException("symlink " + quote(name) + " has an empty target");
          }
          if (target.indexOf('\0') >= 0) {
            throw new InvalidSourceException("symlink " + quote(name) + " has a target with a NUL byte");
          }
          long targetBytes = EntryPaths.utf8Length(target);
          if (targetBytes > EntryPaths.MAX_PATH_BYTES) {
            throw new InvalidSourceException("symlink " + quote(name) + " has a target longer than the limit of "
                + EntryPaths.MAX_PATH_BYTES + " bytes (PATH_MAX)");
          }
          count(targetBytes);
          visitor.visit(new SourceEntry(path, EntryType.SYMLINK, mode, 0, mtime, uid, gid, target), null);
          regularFiles.remove(path);
          symlinks.add(path);
        }
        case HARDLINK -> {
          String target = EntryPaths.normalize(member.getLinkName(),
              "the target " + quote(member.getLinkName()) + " of hard link " + quote(name));
          Long size = regularFiles.get(target);
          if (size == null) {
            throw new DanglingHardLinkException(path, target, "hard link " + quote(name) + " points to "
                + quote(member.getLinkName()) + ", which is not an earlier regular file of the archive");
          }
          if (target.equals(path)) {
            throw new InvalidSourceException("hard link " + quote(name) + " points to itself");
          }
          checkNotBeneathSymlink(target, member.getLinkName());
          // A link is one more copy of the file in the published tree: it counts as one.
          count(size);
          visitor.visit(new SourceEntry(path, EntryType.HARDLINK, mode, size, mtime, uid, gid, target), null);
          regularFiles.remove(path);
        }
        case REGULAR -> {
          long size = regularSize(member);
          if (size > limits.maxFileSize()) {
            throw new LimitExceededException(
                "member " + quote(name) + " is larger than the limit of " + limits.maxFileSize() + " bytes");
          }
          count(size);
          SourceEntry entry = new SourceEntry(path, EntryType.REGULAR, mode, size, mtime, uid, gid, null);
          ExactSizeInputStream content = new ExactSizeInputStream(tar.data(name), size) {
            @Override
            protected IOException endedEarly(long read, long expected) {
              return new InvalidSourceException(
                  "truncated archive: member " + quote(name) + " ends after " + read + " of " + expected + " bytes");
            }
          };
          visitor.visit(entry, content);
          content.finish(scratch);
          regularFiles.put(path, size);
        }
        default -> throw new AssertionError(type);
      }
      tar.skipData(member);
    }

    /**
     * Leaves out a device or FIFO, or refuses it. A skipped member still has to have a valid name:
     * it replaces whatever the archive held at its path, so the path is checked and forgotten as
     * a hard link target.
     */
    private void skipSpecial(TarArchiveEntry member, String kind) throws IOException {
      String name = member.getName();
      if (specialFiles == SpecialFiles.REFUSE) {
        throw new InvalidSourceException("member " + quote(name) + " is " + kind);
      }
      String path = EntryPaths.normalize(name, "member " + quote(name));
      checkNotBeneathSymlink(path, name);
      if (path.isEmpty()) {
        throw new InvalidSourceException("member " + quote(name) + " stands for the archive root but is " + kind);
      }
      regularFiles.remove(path);
      skippedSpecialFiles++;
      skippedListener.accept(path);
      tar.skipData(member);
    }

    /** The entry type of a member, null for members that are skipped; refuses what cannot be published. */
    private EntryType typeOf(TarArchiveEntry member) throws InvalidSourceException {
      String name = member.getName();
      byte flag = member.getLinkFlag();
      switch (flag) {
        case '5', 'D': // 'D' is a GNU incremental dump directory; its data lists names only
          return EntryType.DIRECTORY;
        case 0, '0', '7': // '7' is a contiguous file, regular everywhere but on old Masscomp systems
          // Pre-POSIX archives mark directories by a trailing slash only.
          return name.endsWith("/") ? EntryType.DIRECTORY : EntryType.REGULAR;
        case 'S':
          return EntryType.REGULAR;
        case '1':
          return EntryType.HARDLINK;
        case '2':
          return EntryType.SYMLINK;
        case 'V':
          return null;
        case 'M':
          throw new InvalidSourceException("member " + quote(name) + " continues a multi-volume archive");
        default:
          String shown = flag >= 0x21 && flag < 0x7f ? "'" + (char) flag + "'" : String.valueOf(flag & 0xff);
          throw new InvalidSourceException("member " + quote(name) + " has the unsupported type " + shown);
      }
    }

    private static String specialKind(byte flag) {
      return switch (flag) {
        case '3' -> "a character device";
        case '4' -> "a block device";
        case '6' -> "a FIFO";
        default -> null;
      };
    }

    /**
     * The size of a regular member's content. Sparse members expand to their real size; their
     * map is checked against the stored data so the parser cannot read past the member.
     */
    private long regularSize(TarArchiveEntry member) throws IOException {
      if (!member.isSparse()) {
        return member.getSize();
      }
      String name = member.getName();
      if (member.isStarSparse()) {
        throw new InvalidSourceException("member " + quote(name) + " is a star sparse file, which is not supported");
      }
      List<TarArchiveStructSparse> chunks;
      try {
        chunks = member.getOrderedSparseHeaders();
      } catch (IOException e) {
        throw new InvalidSourceException("corrupt tar archive: member " + quote(name) + ": " + e.getMessage(), e);
      }
      long stored = 0;
      for (TarArchiveStructSparse chunk : chunks) {
        stored += chunk.getNumbytes();
      }
      // PAX 1.x keeps the map itself in whole blocks ahead of the data.
      long mapBytes = member.getSize() - stored;
      boolean consistent = member.isPaxGNU1XSparse()
          ? mapBytes >= 0 && mapBytes % TAR_BLOCK == 0
          : mapBytes == 0;
      if (!consistent || (chunks.isEmpty() && member.getRealSize() > 0) || member.getRealSize() < 0) {
        throw new InvalidSourceException("corrupt tar archive: the sparse map of member " + quote(name)
            + " does not match its data");
      }
      return member.getRealSize();
    }

    private void checkNotBeneathSymlink(String path, String name) throws InvalidSourceException {
      if (symlinks.isEmpty()) {
        return;
      }
      for (int slash = path.indexOf('/'); slash >= 0; slash = path.indexOf('/', slash + 1)) {
        String ancestor = path.substring(0, slash);
        if (symlinks.contains(ancestor)) {
          throw new InvalidSourceException(
              "member " + quote(name) + " lies beneath " + quote(ancestor) + ", a symlink of the archive");
        }
      }
    }

    /** Counts bytes a member adds to the tree against {@link Limits#maxTotalBytes()}. */
    private void count(long bytes) throws LimitExceededException {
      if (bytes > limits.maxTotalBytes() - totalBytes) {
        throw new LimitExceededException("archive expands past the limit of " + limits.maxTotalBytes() + " bytes");
      }
      totalBytes += bytes;
    }

    private int id(long value, String what, String name) throws InvalidSourceException {
      if (value < 0 || value > 0xffff_ffffL) {
        throw new InvalidSourceException("member " + quote(name) + " has an out-of-range " + what + " " + value);
      }
      return (int) value;
    }

  }
}
