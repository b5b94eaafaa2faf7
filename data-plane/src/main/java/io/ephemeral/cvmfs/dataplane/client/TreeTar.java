package io.ephemeral.cvmfs.dataplane.client;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Consumer;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

/**
 * Writes a directory tree as a POSIX tar: directories, regular files and symbolic links (not
 * followed), with their permission bits (setuid, setgid and sticky included) and modification
 * times, names relative to the directory, in name order. Long names and large sizes go into PAX
 * headers. Sockets, FIFOs and devices, which the server refuses, are left out with a warning.
 */
final class TreeTar {

  private final Consumer<String> warnings;

  TreeTar(Consumer<String> warnings) {
    this.warnings = warnings;
  }

  /** Writes the tar of {@code root} to {@code out} and closes it. */
  void write(Path root, OutputStream out) throws IOException {
    try (TarArchiveOutputStream tar = new TarArchiveOutputStream(out, "UTF-8")) {
      tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
      tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
      tar.setAddPaxHeadersForNonAsciiNames(true);
      walk(root, "", tar);
      tar.finish();
    }
  }

  private void walk(Path directory, String prefix, TarArchiveOutputStream tar) throws IOException {
    List<Path> children = new ArrayList<>();
    try (DirectoryStream<Path> stream = Files.newDirectoryStream(directory)) {
      stream.forEach(children::add);
    }
    children.sort(Comparator.comparing(p -> p.getFileName().toString()));
    for (Path child : children) {
      String name = prefix + child.getFileName();
      BasicFileAttributes attributes = Files.readAttributes(child, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      TarArchiveEntry entry;
      if (attributes.isSymbolicLink()) {
        entry = new TarArchiveEntry(name, TarConstants.LF_SYMLINK);
        entry.setLinkName(Files.readSymbolicLink(child).toString());
        entry.setMode(0777);
      } else if (attributes.isDirectory()) {
        entry = new TarArchiveEntry(name + "/");
        entry.setMode(permissions(child));
      } else if (attributes.isRegularFile()) {
        entry = new TarArchiveEntry(name);
        entry.setMode(permissions(child));
        entry.setSize(attributes.size());
      } else {
        warnings.accept("leaving out " + child + ": neither a directory, a regular file nor a symbolic link");
        continue;
      }
      entry.setModTime(attributes.lastModifiedTime());
      tar.putArchiveEntry(entry);
      if (attributes.isRegularFile()) {
        try (InputStream content = Files.newInputStream(child, LinkOption.NOFOLLOW_LINKS)) {
          content.transferTo(tar);
        }
      }
      tar.closeArchiveEntry();
      if (attributes.isDirectory()) {
        walk(child, name + "/", tar);
      }
    }
  }

  /** The permission bits with setuid, setgid and sticky, where the file system has them. */
  private static int permissions(Path path) throws IOException {
    try {
      return (Integer) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 07777;
    } catch (UnsupportedOperationException | IllegalArgumentException notUnix) {
      int mode = Files.isDirectory(path) ? 0755 : 0644;
      return Files.isExecutable(path) ? mode | 0111 : mode;
    }
  }
}
