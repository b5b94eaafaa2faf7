package io.ephemeral.cvmfs.dataplane.repository;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Removes what a crash left in scratch places at start: whatever it is (files, nested
 * directories, symbolic links, FIFOs), read-only or not. Links are deleted, never followed, and
 * read-only directories are made writable by their owner first. What still cannot be deleted is
 * renamed aside into {@code quarantine/} under the repository's state directory with a warning;
 * scratch state never stops a start.
 */
final class Leftovers {

  private static final Logger LOG = LoggerFactory.getLogger(Leftovers.class);

  private final Path quarantine;
  private int movedAside;

  /** @param quarantine where what cannot be deleted is moved, created when first needed */
  Leftovers(Path quarantine) {
    this.quarantine = quarantine;
  }

  /**
   * Empties {@code folder}, which is left a plain directory or absent: a file or a link standing
   * where it belongs is removed. Logs one line if any went; returns how many.
   */
  int clearFolder(Path folder) {
    int removed = 0;
    BasicFileAttributes attributes = attributes(folder);
    if (attributes != null && !attributes.isDirectory()) {
      removed += remove(folder) ? 1 : 0;
    } else if (attributes != null) {
      makeOwnerAccessible(folder);
      for (Path entry : list(folder, "*")) {
        removed += remove(entry) ? 1 : 0;
      }
    }
    if (removed > 0) {
      LOG.info("cleared {}: {} leftover entries removed", folder, removed);
    }
    return removed;
  }

  /**
   * Removes the entries of {@code directory} whose names match {@code glob}; logs one line if any
   * went. The directory itself is not scratch: it may be reached through a link.
   */
  int clearMatching(Path directory, String glob) {
    int removed = 0;
    if (Files.isDirectory(directory)) {
      for (Path entry : list(directory, glob)) {
        removed += remove(entry) ? 1 : 0;
      }
    }
    if (removed > 0) {
      LOG.info("cleared {} in {}: {} leftover entries removed", glob, directory, removed);
    }
    return removed;
  }

  /**
   * Deletes {@code path} and all beneath it; on failure moves it aside. True if it is gone from
   * its place.
   */
  private boolean remove(Path path) {
    try {
      deleteTree(path);
      return true;
    } catch (IOException | RuntimeException e) {
      Path aside = quarantine.resolve(Instant.now().toEpochMilli() + "-" + ++movedAside + "-" + path.getFileName());
      try {
        Files.createDirectories(quarantine);
        Files.move(path, aside);
        LOG.warn("cannot delete leftover {} ({}); moved it aside to {}, remove it by hand", path, e.toString(), aside);
        return true;
      } catch (IOException | RuntimeException moveFailure) {
        LOG.warn("cannot delete leftover {} ({}) nor move it aside ({}); starting anyway", path, e.toString(),
            moveFailure.toString());
        return false;
      }
    }
  }

  private static void deleteTree(Path root) throws IOException {
    // Parents before children, with each directory made writable before it is read; then deleted
    // in reverse. Attributes are read without following links, so a link is deleted as a file.
    List<Path> found = new ArrayList<>();
    Deque<Path> pending = new ArrayDeque<>();
    pending.push(root);
    while (!pending.isEmpty()) {
      Path path = pending.pop();
      BasicFileAttributes attributes;
      try {
        attributes = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      } catch (NoSuchFileException e) {
        continue;
      }
      found.add(path);
      if (attributes.isDirectory()) {
        makeOwnerAccessible(path);
        try (DirectoryStream<Path> children = Files.newDirectoryStream(path)) {
          children.forEach(pending::push);
        }
      }
    }
    for (int i = found.size() - 1; i >= 0; i--) {
      Files.deleteIfExists(found.get(i));
    }
  }

  private static List<Path> list(Path directory, String glob) {
    List<Path> entries = new ArrayList<>();
    try (DirectoryStream<Path> stream = Files.newDirectoryStream(directory, glob)) {
      stream.forEach(entries::add);
    } catch (IOException e) {
      LOG.warn("cannot list {} for leftovers ({}); starting anyway", directory, e.toString());
    }
    return entries;
  }

  private static BasicFileAttributes attributes(Path path) {
    try {
      return Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    } catch (IOException e) {
      return null;
    }
  }

  // Only ever called on directories seen without following links, so no link target is changed.
  private static void makeOwnerAccessible(Path dir) {
    try {
      Set<PosixFilePermission> permissions = EnumSet.noneOf(PosixFilePermission.class);
      permissions.addAll(Files.getPosixFilePermissions(dir, LinkOption.NOFOLLOW_LINKS));
      if (permissions.addAll(Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE,
          PosixFilePermission.OWNER_EXECUTE))) {
        Files.setPosixFilePermissions(dir, permissions);
      }
    } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
      // Not ours to change, or no POSIX permissions: deleting will tell.
    }
  }
}
