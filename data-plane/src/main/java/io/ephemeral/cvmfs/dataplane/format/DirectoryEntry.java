package io.ephemeral.cvmfs.dataplane.format;

import io.ephemeral.cvmfs.common.format.ContentHash;
import io.ephemeral.cvmfs.common.format.HashAlgorithm;
import java.util.List;
import java.util.Objects;

/**
 * One row of a file catalog, with the chunks of a chunked file (format.md 7.6).
 *
 * @param path full path inside the repository ({@code ""} for the root, else {@code /a/b})
 * @param mode full {@code st_mode} including the file type bits
 * @param hash content object of a non-chunked regular file, else {@code null}
 * @param chunks pieces of a chunked regular file, else empty
 */
public record DirectoryEntry(
    String path,
    int mode,
    long size,
    long mtime,
    int flags,
    String symlink,
    int uid,
    int gid,
    long hardlinks,
    ContentHash hash,
    List<Chunk> chunks) {

  public static final int S_IFMT = 0170000;
  public static final int S_IFDIR = 0040000;
  public static final int S_IFREG = 0100000;
  public static final int S_IFLNK = 0120000;

  public DirectoryEntry {
    Objects.requireNonNull(path, "path");
    symlink = symlink == null ? "" : symlink;
    chunks = List.copyOf(chunks);
  }

  public static DirectoryEntry directory(String path, int permissions, long mtime, int uid, int gid, long links, int flags) {
    return new DirectoryEntry(path, S_IFDIR | permissions, 4096, mtime, EntryFlags.DIRECTORY | flags, "", uid, gid, links, null, List.of());
  }

  public static DirectoryEntry symlink(String path, String target, long mtime, int uid, int gid) {
    return new DirectoryEntry(path, S_IFLNK | 0777, target.getBytes(java.nio.charset.StandardCharsets.UTF_8).length,
        mtime, EntryFlags.FILE | EntryFlags.LINK, target, uid, gid, 1, null, List.of());
  }

  /** A regular file stored as one object ({@code chunks} empty) or as chunks ({@code hash} null). */
  public static DirectoryEntry regular(String path, int permissions, long size, long mtime, int uid, int gid,
      HashAlgorithm algorithm, Compression compression, ContentHash hash, List<Chunk> chunks) {
    int flags = EntryFlags.FILE | algorithm.catalogFlags() | compression.catalogFlags()
        | (chunks.isEmpty() ? 0 : EntryFlags.CHUNKED);
    return new DirectoryEntry(path, S_IFREG | permissions, size, mtime, flags, "", uid, gid, 1, hash, chunks);
  }

  public String name() {
    return path.substring(path.lastIndexOf('/') + 1);
  }

  /** The parent's path; the root's parent is {@code null}. */
  public String parentPath() {
    return path.isEmpty() ? null : path.substring(0, path.lastIndexOf('/'));
  }

  public boolean isDirectory() {
    return (mode & S_IFMT) == S_IFDIR;
  }

  public boolean isRegular() {
    return (mode & S_IFMT) == S_IFREG;
  }

  public boolean isSymlink() {
    return (mode & S_IFMT) == S_IFLNK;
  }

  public boolean isChunked() {
    return (flags & EntryFlags.CHUNKED) != 0;
  }

  public HashAlgorithm hashAlgorithm() {
    return HashAlgorithm.fromCatalogFlags(flags);
  }

  public Compression compression() {
    return Compression.fromCatalogFlags(flags);
  }

  public DirectoryEntry withPathAndFlags(String newPath, int newFlags) {
    return new DirectoryEntry(newPath, mode, size, mtime, newFlags, symlink, uid, gid, hardlinks, hash, chunks);
  }
}
