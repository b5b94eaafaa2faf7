package io.ephemeral.cvmfs.dataplane.publish.source;

import java.util.Objects;

/**
 * One entry of a tree to publish, as read from a directory or an archive.
 *
 * <p>{@code path} is relative to the publication root, normalised: components joined by
 * {@code /}, no leading or trailing slash, no {@code .} or {@code ..} components, no empty
 * components; the publication root itself is the empty string. Content of regular files is
 * not part of the entry: the source hands it over separately as a stream of exactly
 * {@code size} bytes. {@code size} is 0 for directories and symlinks; {@code linkTarget} is
 * null for directories and regular files. A symlink target is kept as stored, relative or
 * absolute, and may point anywhere: it is text, not a path the sources resolve.
 */
public record SourceEntry(
    String path,
    EntryType type,
    int permissions,
    long size,
    long mtimeSeconds,
    int uid,
    int gid,
    String linkTarget) {

  public SourceEntry {
    Objects.requireNonNull(path, "path");
    Objects.requireNonNull(type, "type");
    if ((type == EntryType.SYMLINK || type == EntryType.HARDLINK) && linkTarget == null) {
      throw new IllegalArgumentException(type + " needs a link target: " + path);
    }
    if (size < 0) {
      throw new IllegalArgumentException("negative size: " + path);
    }
    permissions &= 07777;
  }

  public static SourceEntry directory(String path, int permissions, long mtimeSeconds, int uid, int gid) {
    return new SourceEntry(path, EntryType.DIRECTORY, permissions, 0, mtimeSeconds, uid, gid, null);
  }

  /**
   * The kinds of entry a publication can hold. Devices, FIFOs and sockets are refused by the
   * sources, or left out where a source is told to skip them.
   */
  public enum EntryType {
    DIRECTORY,
    REGULAR,
    SYMLINK,
    /**
     * A hard link to an earlier regular file of the same source; {@code linkTarget} is that
     * file's path and {@code size} its size. No content stream comes with it.
     */
    HARDLINK
  }
}
