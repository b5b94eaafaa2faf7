package io.ephemeral.cvmfs.dataplane.publish.source;

import static io.ephemeral.cvmfs.dataplane.publish.source.ArchiveFormat.TAR_BLOCK;
import static io.ephemeral.cvmfs.dataplane.publish.source.EntryPaths.quote;

import com.github.luben.zstd.ZstdInputStream;
import java.io.BufferedInputStream;
import java.io.Closeable;
import java.io.EOFException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;

/**
 * Walks the members of a tar archive, plain or compressed with gzip or zstd, as the parser gives
 * them: checking the headers and their checksums, bounding extended headers (PAX, GNU long
 * names), telling a proper end-of-archive marker from truncation, and reaching the decoder's
 * integrity checks and the end of the input. What the members mean is left to the caller.
 */
final class TarReader implements Closeable {

  /** Bound on the extended headers (PAX, GNU long names) of one member, which the parser keeps in memory. */
  static final long MAX_HEADER_BYTES = 8L << 20;
  private static final int BUFFER_SIZE = 64 * 1024;
  /** How much of the decompressed tail after the end marker is read to reach the integrity checks. */
  private static final long MAX_TRAILER_BYTES = 16L << 20;

  private final RawInput raw;
  private final BufferedInputStream input;
  private final ArchiveFormat format;
  private final byte[] scratch = new byte[BUFFER_SIZE];
  private final byte[] lookahead = new byte[2 * TAR_BLOCK];
  /** The name records of the global PAX headers read so far, kept to check them only once. */
  private final Map<String, byte[]> globalNames = new HashMap<>();

  private InputStream decoder;
  private BufferedInputStream tarBytes;
  private HeaderCountingInput counted;
  private TarArchiveInputStream tar;
  private String previous;

  private TarReader(RawInput raw, BufferedInputStream input, ArchiveFormat format) {
    this.raw = raw;
    this.input = input;
    this.format = format;
  }

  /**
   * Prepares to read from {@code in}, which stays the caller's to close.
   *
   * @param format the container, or {@code null} to recognise it from the first bytes
   * @throws InvalidSourceException when {@code format} is null and the bytes are no known archive
   */
  static TarReader prepare(InputStream in, ArchiveFormat format) throws IOException {
    RawInput raw = new RawInput(in);
    BufferedInputStream input = new BufferedInputStream(raw, BUFFER_SIZE);
    if (format == null) {
      format = ArchiveFormat.sniff(input).orElseThrow(() -> new InvalidSourceException(ArchiveSource.NOT_AN_ARCHIVE));
    }
    return new TarReader(raw, input, format);
  }

  ArchiveFormat format() {
    return format;
  }

  /** Starts the decoder and checks that a tar archive comes out of it. */
  void start() throws IOException {
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
    counted = new HeaderCountingInput(tarBytes);
    tar = new TarArchiveInputStream(counted, "UTF-8");
  }

  /**
   * The next member, its headers checked, or null at the end-of-archive marker. The data of the
   * member before has to have been consumed, by {@link #skipData}.
   */
  TarArchiveEntry next() throws IOException {
    if (atEndMarker()) {
      return null;
    }
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
    return member;
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

  /** The current member's data, with parser failures turned into reasons. */
  InputStream data(String name) {
    return new MemberData(name);
  }

  /** Consumes whatever data of the current member nobody read, including that of directories. */
  void skipData(TarArchiveEntry member) throws IOException {
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

  /**
   * Once the end marker was reached: reads on to the decoder's checksum and to the end of the
   * input, so that a damaged stream or an input cut short is noticed.
   */
  void finish() throws IOException {
    readTrailer();
    drainInput();
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
}
