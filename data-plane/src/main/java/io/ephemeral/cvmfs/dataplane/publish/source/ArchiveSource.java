package io.ephemeral.cvmfs.dataplane.publish.source;

import static io.ephemeral.cvmfs.dataplane.publish.source.ArchiveFormat.TAR_BLOCK;
import static io.ephemeral.cvmfs.dataplane.publish.source.EntryPaths.quote;

import com.github.luben.zstd.ZstdInputStream;
import io.ephemeral.cvmfs.dataplane.publish.source.SourceEntry.EntryType;
import java.io.BufferedInputStream;
import java.io.Closeable;
import java.io.EOFException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveStructSparse;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;

/**
 * Streams the members of a tar archive, plain or compressed with gzip or zstd, without holding
 * the archive in memory. Member names are normalised to the {@link SourceEntry} rules and every
 * member that could not be published safely is refused: names leaving the root or passing
 * through a symlink of the archive, dangling hard links, and devices and FIFOs unless the
 * {@link SpecialFiles} policy says to skip them. Missing parent directories and repeated names
 * are passed on as they come; the consumer decides about them.
 *
 * <p>The caller keeps ownership of the input stream and closes it. A source can be walked once.
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
  /** Bound on the extended headers (PAX, GNU long names) of one member, which the parser keeps in memory. */
  private static final long MAX_HEADER_BYTES = 8L << 20;
  /** How much of the decompressed tail after the end marker is read to reach the integrity checks. */
  private static final long MAX_TRAILER_BYTES = 16L << 20;

  private final RawInput raw;
  private final BufferedInputStream input;
  private final ArchiveFormat format;
  private final Limits limits;
  private final SpecialFiles specialFiles;
  private Consumer<String> skippedListener = path -> { };
  private long skippedSpecialFiles;
  private boolean walked;

  private ArchiveSource(RawInput raw, BufferedInputStream input, ArchiveFormat format, Limits limits,
      SpecialFiles specialFiles) {
    this.raw = raw;
    this.input = input;
    this.format = format;
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
    RawInput raw = new RawInput(in);
    BufferedInputStream input = new BufferedInputStream(raw, BUFFER_SIZE);
    if (format == null) {
      format = ArchiveFormat.sniff(input).orElseThrow(() -> new InvalidSourceException(NOT_AN_ARCHIVE));
    }
    return new ArchiveSource(raw, input, format, limits, specialFiles);
  }

  /** The container being read, as given or recognised. */
  public ArchiveFormat format() {
    return format;
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
    try (Walk walk = new Walk(visitor)) {
      walk.run();
    }
  }

  /** The state of one pass over the archive. */
  private final class Walk implements Closeable {

    private final TreeVisitor visitor;
    private final byte[] scratch = new byte[BUFFER_SIZE];
    private final byte[] lookahead = new byte[2 * TAR_BLOCK];
    /** Sizes of the regular files emitted so far, by path: the only valid hard link targets. */
    private final Map<String, Long> regularFiles = new HashMap<>();
    /** Every path emitted as a symlink; nothing may be placed beneath one. */
    private final Set<String> symlinks = new HashSet<>();

    private InputStream decoder;
    private BufferedInputStream tarBytes;
    private CountingInput counted;
    private TarArchiveInputStream tar;
    private long entries;
    private long totalBytes;
    private String previous;
    /** The name records of the global PAX headers read so far, kept to check them only once. */
    private final Map<String, byte[]> globalNames = new HashMap<>();

    Walk(TreeVisitor visitor) {
      this.visitor = visitor;
    }

    void run() throws IOException {
      openTar();
      while (!atEndMarker()) {
        long start = counted.count();
        counted.limitTo(start + MAX_HEADER_BYTES);
        counted.startCapture();
        String where = previous == null ? "in the first header" : "in the headers after member " + quote(previous);
        TarArchiveEntry member;
        try {
          member = tar.getNextEntry();
        } catch (IOException e) {
          throw tarFailure(e, where);
        }
        counted.limitTo(Long.MAX_VALUE);
        byte[] headers = counted.stopCapture();
        if (member == null) {
          throw new InvalidSourceException("truncated archive: it ends inside the headers after member " + quote(previous));
        }
        TarHeaders.check(headers, (int) (-start & (TAR_BLOCK - 1)), headers.length, globalNames,
            where.substring(3));
        previous = member.getName();
        process(member);
      }
      readTrailer();
      drainInput();
    }

    private void openTar() throws IOException {
      try {
        decoder = switch (format) {
          case TAR -> null;
          case TAR_GZ -> new GzipCompressorInputStream(input, true);
          case TAR_ZST -> new ZstdInputStream(input);
        };
      } catch (IOException e) {
        throw decoderFailure(e);
      }
      tarBytes = decoder == null ? input : new BufferedInputStream(new DecodedInput(decoder), BUFFER_SIZE);
      tarBytes.mark(TAR_BLOCK);
      byte[] head = tarBytes.readNBytes(TAR_BLOCK);
      tarBytes.reset();
      if (!ArchiveFormat.isTarBlock(head, head.length)) {
        throw new InvalidSourceException(switch (format) {
          case TAR -> "not a tar archive";
          case TAR_GZ -> "the gzip stream does not hold a tar archive";
          case TAR_ZST -> "the zstd stream does not hold a tar archive";
        });
      }
      counted = new CountingInput(tarBytes);
      tar = new TarArchiveInputStream(counted, "UTF-8");
    }

    /**
     * Looks at the block where the next header must start, without consuming it. The parser
     * treats a short read as a normal end, so this is where truncation between members and a
     * missing end-of-archive marker are told apart from a proper end.
     */
    private boolean atEndMarker() throws IOException {
      int padding = (int) (-counted.count() & (TAR_BLOCK - 1));
      int wanted = padding + TAR_BLOCK;
      int got;
      tarBytes.mark(wanted);
      try {
        got = tarBytes.readNBytes(lookahead, 0, wanted);
      } catch (IOException e) {
        throw tarFailure(e, previous == null ? "in the first header" : "after member " + quote(previous));
      }
      tarBytes.reset();
      if (got == wanted) {
        return ArchiveFormat.isZeroBlock(lookahead, padding);
      }
      String where;
      if (previous == null) {
        where = "it ends inside the first header";
      } else if (got < padding) {
        where = "it ends inside the padding of member " + quote(previous);
      } else if (got == padding) {
        where = "it ends after member " + quote(previous) + " without an end-of-archive marker";
      } else {
        where = "it ends inside the header after member " + quote(previous);
      }
      throw new InvalidSourceException("truncated archive: " + where);
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
        skipData(member);
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
          ExactSizeInputStream content = new ExactSizeInputStream(new MemberData(name), size) {
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
      skipData(member);
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
      skipData(member);
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

    /** Consumes whatever data of the current member nobody read, including that of directories. */
    private void skipData(TarArchiveEntry member) throws IOException {
      String context = "data of member " + quote(member.getName());
      try {
        while (tar.read(scratch, 0, scratch.length) >= 0) {
          // discard
        }
      } catch (IOException e) {
        throw tarFailure(e, context);
      }
      if (member.isDirectory() && member.getSize() > 0) {
        // The parser neither reads nor skips data of directories (GNU dump directories have some);
        // it sits before the next header, padding included.
        long toSkip = (member.getSize() + TAR_BLOCK - 1) & -TAR_BLOCK;
        while (toSkip > 0) {
          int n;
          try {
            n = counted.read(scratch, 0, (int) Math.min(scratch.length, toSkip));
          } catch (IOException e) {
            throw tarFailure(e, context);
          }
          if (n < 0) {
            throw new InvalidSourceException("truncated archive: it ends inside the " + context);
          }
          toSkip -= n;
        }
      }
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

    /**
     * Reads on past the end marker for compressed archives, bounded, so the decoder reaches its
     * checksum and a cut-off or damaged stream is noticed even when the tar part was complete.
     */
    private void readTrailer() throws IOException {
      if (decoder == null) {
        return;
      }
      long left = MAX_TRAILER_BYTES;
      int n = 0;
      while (left > 0 && n >= 0) {
        n = tarBytes.read(scratch, 0, (int) Math.min(scratch.length, left));
        left -= Math.max(n, 0);
      }
    }

    /**
     * Reads the input to its end. Whatever follows the archive (record padding, a writer's
     * zeros) is bounded, and only once the input has ended is the archive known to be whole: a
     * request body cut short after the end marker fails here rather than being published.
     */
    private void drainInput() throws IOException {
      long left = MAX_TRAILER_BYTES;
      while (true) {
        int n;
        try {
          n = input.read(scratch, 0, (int) Math.min(scratch.length, left + 1));
        } catch (IOException e) {
          throw raw.failure != null ? raw.failure : decoderFailure(e);
        }
        if (n < 0) {
          return;
        }
        left -= n;
        if (left < 0) {
          throw new InvalidSourceException("the input goes on for more than " + MAX_TRAILER_BYTES
              + " bytes after the end of the archive");
        }
      }
    }

    @Override
    public void close() throws IOException {
      if (decoder != null) {
        decoder.close();
      }
    }

    /** The current member's content, with parser failures turned into reasons. */
    private final class MemberData extends InputStream {
      private final String name;

      MemberData(String name) {
        this.name = name;
      }

      @Override
      public int read() throws IOException {
        try {
          return tar.read();
        } catch (IOException e) {
          throw tarFailure(e, "in the data of member " + quote(name));
        }
      }

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        try {
          return tar.read(b, off, len);
        } catch (IOException e) {
          throw tarFailure(e, "in the data of member " + quote(name));
        }
      }
    }
  }

  /** Tells a failure of the caller's stream, passed on untouched, from a fault of the archive. */
  private IOException tarFailure(IOException e, String context) {
    if (raw.failure != null) {
      return raw.failure;
    }
    if (e instanceof InvalidSourceException) {
      return e;
    }
    if (looksTruncated(e)) {
      return new InvalidSourceException("truncated archive: " + context, e);
    }
    return new InvalidSourceException("corrupt tar archive: " + context + ": " + e.getMessage(), e);
  }

  private IOException decoderFailure(IOException e) {
    if (raw.failure != null) {
      return raw.failure;
    }
    if (e instanceof InvalidSourceException) {
      return e;
    }
    String kind = format == ArchiveFormat.TAR_GZ ? "gzip" : "zstd";
    if (looksTruncated(e)) {
      return new InvalidSourceException("truncated " + kind + " stream", e);
    }
    return new InvalidSourceException("corrupt " + kind + " stream: " + e.getMessage(), e);
  }

  private static boolean looksTruncated(IOException e) {
    if (e instanceof EOFException) {
      return true;
    }
    String message = String.valueOf(e.getMessage()).toLowerCase(Locale.ROOT);
    return message.contains("truncated") || message.contains("premature") || message.contains("unexpected end");
  }

  /** The caller's stream; remembers its failures so they are not mistaken for a corrupt archive. */
  private static final class RawInput extends FailureAwareInputStream {
    IOException failure;

    RawInput(InputStream in) {
      super(in);
    }

    @Override
    protected void failed(IOException e) {
      failure = e;
    }

    @Override
    public void close() {
      // The caller owns the stream.
    }
  }

  /** Decompressed bytes, with decoder failures turned into reasons. */
  private final class DecodedInput extends FilterInputStream {

    DecodedInput(InputStream decoder) {
      super(decoder);
    }

    @Override
    public int read() throws IOException {
      try {
        return in.read();
      } catch (IOException e) {
        throw decoderFailure(e);
      }
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      try {
        return in.read(b, off, len);
      } catch (IOException e) {
        throw decoderFailure(e);
      }
    }

    @Override
    public long skip(long n) throws IOException {
      try {
        return in.skip(n);
      } catch (IOException e) {
        throw decoderFailure(e);
      }
    }

    @Override
    public int available() throws IOException {
      try {
        return in.available();
      } catch (IOException e) {
        throw decoderFailure(e);
      }
    }
  }

  /**
   * Counts what the tar parser consumes, which locates the next header, and caps how much it may
   * consume at once, since it keeps extended headers in memory.
   */
  private static final class CountingInput extends FilterInputStream {
    private long count;
    private long limit = Long.MAX_VALUE;
    private java.io.ByteArrayOutputStream capture;

    CountingInput(InputStream in) {
      super(in);
    }

    /** Keeps a copy of what is read from now on, until {@link #stopCapture()}. */
    void startCapture() {
      capture = new java.io.ByteArrayOutputStream(2 * TAR_BLOCK);
    }

    byte[] stopCapture() {
      byte[] bytes = capture.toByteArray();
      capture = null;
      return bytes;
    }

    long count() {
      return count;
    }

    void limitTo(long limit) {
      this.limit = limit;
    }

    @Override
    public int read() throws IOException {
      int b = in.read();
      if (b >= 0) {
        advance(1);
        if (capture != null) {
          capture.write(b);
        }
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = in.read(b, off, len);
      if (n > 0) {
        advance(n);
        if (capture != null) {
          capture.write(b, off, n);
        }
      }
      return n;
    }

    @Override
    public long skip(long n) throws IOException {
      if (capture != null) {
        byte[] skipped = new byte[(int) Math.min(n, 8192)];
        int got = read(skipped, 0, skipped.length);
        return Math.max(got, 0);
      }
      long skipped = in.skip(n);
      if (skipped > 0) {
        advance(skipped);
      }
      return skipped;
    }

    @Override
    public boolean markSupported() {
      // Counting across reset would be wrong; the parser copes without mark.
      return false;
    }

    private void advance(long n) throws InvalidSourceException {
      count += n;
      if (count > limit) {
        throw new InvalidSourceException(
            "the headers of a member exceed the limit of " + MAX_HEADER_BYTES + " bytes");
      }
    }
  }
}
