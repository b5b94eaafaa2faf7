package io.ephemeral.cvmfs.dataplane.testsupport;

import com.github.luben.zstd.ZstdOutputStream;
import io.ephemeral.cvmfs.dataplane.publish.source.SourceEntry;
import io.ephemeral.cvmfs.dataplane.publish.source.TreeSource;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;

/** Builds small archives in memory for the tests. */
public final class Tars {

  public static final long MTIME = 1_700_000_000L;
  public static final int UID = 1000;
  public static final int GID = 2000;

  private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
  private final TarArchiveOutputStream out;

  private Tars() {
    out = new TarArchiveOutputStream(bytes, "UTF-8");
    out.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
    out.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
    out.setAddPaxHeadersForNonAsciiNames(true);
  }

  public static Tars tar() {
    return new Tars();
  }

  public static TarArchiveEntry entry(String name, byte flag) {
    TarArchiveEntry e = new TarArchiveEntry(name, flag, true);
    e.setLastModifiedTime(FileTime.from(Instant.ofEpochSecond(MTIME)));
    e.setUserId(UID);
    e.setGroupId(GID);
    return e;
  }

  public Tars dir(String name) {
    return dir(name, 0755);
  }

  public Tars dir(String name, int mode) {
    TarArchiveEntry e = entry(name, TarConstants.LF_DIR);
    e.setMode(mode);
    return add(e, null);
  }

  public Tars file(String name, String content) {
    return file(name, content.getBytes(StandardCharsets.UTF_8), 0644);
  }

  public Tars file(String name, byte[] content, int mode) {
    TarArchiveEntry e = entry(name, TarConstants.LF_NORMAL);
    e.setMode(mode);
    e.setSize(content.length);
    return add(e, content);
  }

  public Tars symlink(String name, String target) {
    TarArchiveEntry e = entry(name, TarConstants.LF_SYMLINK);
    e.setMode(0777);
    e.setLinkName(target);
    return add(e, null);
  }

  public Tars hardlink(String name, String target) {
    TarArchiveEntry e = entry(name, TarConstants.LF_LINK);
    e.setMode(0644);
    e.setLinkName(target);
    return add(e, null);
  }

  public Tars special(String name, byte flag) {
    TarArchiveEntry e = entry(name, flag);
    e.setMode(0600);
    return add(e, null);
  }

  public Tars add(TarArchiveEntry e, byte[] content) {
    try {
      out.putArchiveEntry(e);
      if (content != null) {
        out.write(content);
      }
      out.closeArchiveEntry();
    } catch (IOException x) {
      throw new UncheckedIOException(x);
    }
    return this;
  }

  public byte[] bytes() {
    try {
      out.finish();
      out.close();
    } catch (IOException x) {
      throw new UncheckedIOException(x);
    }
    return bytes.toByteArray();
  }

  public static byte[] gzip(byte[] data) throws IOException {
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    try (OutputStream gz = new GzipCompressorOutputStream(buf)) {
      gz.write(data);
    }
    return buf.toByteArray();
  }

  public static byte[] zstd(byte[] data) throws IOException {
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    try (ZstdOutputStream zs = new ZstdOutputStream(buf)) {
      zs.setChecksum(true);
      zs.write(data);
    }
    return buf.toByteArray();
  }

  /** What a visitor saw: the entry and, for regular files, the bytes of its content. */
  public record Seen(SourceEntry entry, byte[] content) {
    public String text() {
      return new String(content, StandardCharsets.UTF_8);
    }
  }

  public static List<Seen> walk(TreeSource source) throws IOException {
    List<Seen> seen = new ArrayList<>();
    source.walk((entry, content) -> seen.add(new Seen(entry, content == null ? null : content.readAllBytes())));
    return seen;
  }
}
