package io.ephemeral.cvmfs.dataplane.verify;

import io.ephemeral.cvmfs.common.format.ObjectKind;
import io.ephemeral.cvmfs.dataplane.format.Chunk;
import io.ephemeral.cvmfs.dataplane.format.DirectoryEntry;
import java.util.ArrayList;
import java.util.List;

/**
 * The text form of entries printed by {@code verify --list}, stable so that tests and scripts can
 * compare it: type letter, four octal permission digits, size, path, and what the entry points to.
 *
 * <pre>
 * d 0755 4096 /dir
 * f 0644 18 /hello.txt 058dca2f4afaa08a135dc62af2ed255947a89634
 * l 0777 9 /hello-link -> hello.txt
 * f 0644 20971520 /big/file.bin chunked
 *   chunk 0 7340031 ad7255239e43a69194ad6eb867c2b41519b11f9dP
 * </pre>
 */
public final class EntryListing {

  private EntryListing() {}

  public static List<String> lines(List<DirectoryEntry> entries) {
    List<String> lines = new ArrayList<>();
    entries.forEach(entry -> lines.addAll(lines(entry)));
    return lines;
  }

  /** The line of one entry, followed by one line per chunk for a chunked file. */
  public static List<String> lines(DirectoryEntry entry) {
    String head = type(entry.mode()) + " " + String.format("%04o", entry.mode() & 07777) + " " + entry.size() + " "
        + displayPath(entry.path());
    if (entry.isSymlink()) {
      return List.of(head + " -> " + entry.symlink());
    }
    if (!entry.isRegular()) {
      return List.of(head);
    }
    if (!entry.isChunked()) {
      return List.of(head + " " + entry.hash());
    }
    List<String> lines = new ArrayList<>();
    lines.add(head + " chunked");
    for (Chunk chunk : entry.chunks()) {
      lines.add("  chunk " + chunk.offset() + " " + chunk.size() + " " + chunk.hash() + ObjectKind.CHUNK.suffix());
    }
    return lines;
  }

  /** Catalog paths name the root {@code ""}; people expect {@code /}. */
  public static String displayPath(String path) {
    return path.isEmpty() ? "/" : path;
  }

  private static char type(int mode) {
    return switch (mode & DirectoryEntry.S_IFMT) {
      case DirectoryEntry.S_IFDIR -> 'd';
      case DirectoryEntry.S_IFREG -> 'f';
      case DirectoryEntry.S_IFLNK -> 'l';
      case 0010000 -> 'p';
      case 0140000 -> 's';
      case 0020000 -> 'c';
      case 0060000 -> 'b';
      default -> '?';
    };
  }
}
