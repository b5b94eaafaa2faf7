package io.ephemeral.cvmfs.dataplane.testsupport;

import com.github.luben.zstd.ZstdOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;

/** Builds small tar archives in memory for tests. */
public final class Archives {

  private final Map<String, Consumer<TarArchiveOutputStream>> members = new LinkedHashMap<>();

  public static Archives tar() {
    return new Archives();
  }

  public Archives file(String name, String content) {
    return file(name, content.getBytes(StandardCharsets.UTF_8), 0644);
  }

  public Archives file(String name, byte[] content, int mode) {
    members.put(name, out -> {
      TarArchiveEntry entry = new TarArchiveEntry(name, true);
      entry.setSize(content.length);
      entry.setMode(0100000 | mode);
      write(out, entry, content);
    });
    return this;
  }

  public Archives directory(String name) {
    members.put(name, out -> write(out, new TarArchiveEntry(name.endsWith("/") ? name : name + "/"), null));
    return this;
  }

  public Archives symlink(String name, String target) {
    members.put(name, out -> {
      TarArchiveEntry entry = new TarArchiveEntry(name, TarArchiveEntry.LF_SYMLINK);
      entry.setLinkName(target);
      write(out, entry, null);
    });
    return this;
  }

  public Archives device(String name) {
    members.put(name, out -> {
      TarArchiveEntry entry = new TarArchiveEntry(name, TarArchiveEntry.LF_CHR);
      write(out, entry, null);
    });
    return this;
  }

  public byte[] bytes() {
    ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    writeTo(buffer);
    return buffer.toByteArray();
  }

  public byte[] gzip() throws IOException {
    ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    try (GzipCompressorOutputStream gzip = new GzipCompressorOutputStream(buffer)) {
      writeTo(gzip);
    }
    return buffer.toByteArray();
  }

  public byte[] zstd() throws IOException {
    ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    try (ZstdOutputStream zstd = new ZstdOutputStream(buffer)) {
      writeTo(zstd);
    }
    return buffer.toByteArray();
  }

  private void writeTo(OutputStream target) {
    try {
      TarArchiveOutputStream out = new TarArchiveOutputStream(target);
      out.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
      members.values().forEach(member -> member.accept(out));
      out.finish();
      out.flush();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void write(TarArchiveOutputStream out, TarArchiveEntry entry, byte[] content) {
    try {
      out.putArchiveEntry(entry);
      if (content != null) {
        out.write(content);
      }
      out.closeArchiveEntry();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
