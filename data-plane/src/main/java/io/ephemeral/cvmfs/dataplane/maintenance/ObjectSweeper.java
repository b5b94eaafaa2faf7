package io.ephemeral.cvmfs.dataplane.maintenance;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.HexFormat;
import java.util.UUID;

/**
 * The sweep phase: walks {@code data/00} .. {@code data/ff} and deletes each object that is
 * neither in the keep set nor modified since the fence. Publications touch the objects they
 * reuse, so an object is first moved aside and checked again: if a publication renewed it in
 * between, it goes back; if a publication looks for it after the move, it finds it missing and
 * writes it anew.
 */
final class ObjectSweeper {

  private static final HexFormat HEX = HexFormat.of();
  private static final int DIGEST_HEX = 40;

  private final Path data;
  private final DigestBloomFilter keep;
  private final FileTime fence;
  private final boolean dryRun;

  ObjectSweeper(Path data, DigestBloomFilter keep, FileTime fence, boolean dryRun) {
    this.data = data;
    this.keep = keep;
    this.fence = fence;
    this.dryRun = dryRun;
  }

  /** Totals of one sweep. */
  record Totals(long objectsFreed, long bytesFreed, long objectsKept, long bytesKept) {}

  /** Estimates how many objects the store holds from the size of one of its 256 directories. */
  static long estimateObjects(Path data) throws IOException {
    Path sample = data.resolve("00");
    if (!Files.isDirectory(sample)) {
      return 0;
    }
    long count = 0;
    try (DirectoryStream<Path> objects = Files.newDirectoryStream(sample)) {
      for (Path ignored : objects) {
        count++;
      }
    }
    return count * 256;
  }

  Totals sweep() throws IOException {
    Path trash = dryRun ? null : Files.createDirectories(data.resolve("txn").resolve("gc-" + UUID.randomUUID()));
    long freed = 0;
    long bytesFreed = 0;
    long kept = 0;
    long bytesKept = 0;
    try {
      for (int prefix = 0; prefix < 256; prefix++) {
        String directory = HEX.toHexDigits((byte) prefix);
        Path shard = data.resolve(directory);
        if (!Files.isDirectory(shard)) {
          continue;
        }
        try (DirectoryStream<Path> objects = Files.newDirectoryStream(shard)) {
          for (Path object : objects) {
            byte[] digest = digestOf(directory, object.getFileName().toString());
            BasicFileAttributes attributes;
            try {
              attributes = Files.readAttributes(object, BasicFileAttributes.class);
            } catch (NoSuchFileException e) {
              continue;
            }
            if (digest == null || keep.mightContain(digest) || isFresh(attributes) || !remove(object, trash)) {
              kept++;
              bytesKept += attributes.size();
            } else {
              freed++;
              bytesFreed += attributes.size();
            }
          }
        }
      }
    } finally {
      if (trash != null) {
        Files.deleteIfExists(trash);
      }
    }
    return new Totals(freed, bytesFreed, kept, bytesKept);
  }

  private boolean isFresh(BasicFileAttributes attributes) {
    return attributes.lastModifiedTime().compareTo(fence) >= 0;
  }

  // Returns false if the object turned out to be renewed, and stays.
  private boolean remove(Path object, Path trash) throws IOException {
    if (dryRun) {
      return true;
    }
    Path aside = trash.resolve(object.getFileName());
    try {
      Files.move(object, aside, StandardCopyOption.ATOMIC_MOVE);
    } catch (NoSuchFileException e) {
      return false;
    }
    if (isFresh(Files.readAttributes(aside, BasicFileAttributes.class))) {
      // Same name, same bytes: replacing a copy a publication wrote meanwhile changes nothing.
      Files.move(aside, object, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      return false;
    }
    Files.delete(aside);
    return true;
  }

  /** The digest an object file is named after, or {@code null} for anything else. */
  private static byte[] digestOf(String directory, String name) {
    if (name.length() < DIGEST_HEX - 2) {
      return null;
    }
    String hex = directory + name.substring(0, DIGEST_HEX - 2);
    for (int i = 0; i < hex.length(); i++) {
      char c = hex.charAt(i);
      if (!(c >= '0' && c <= '9' || c >= 'a' && c <= 'f')) {
        return null;
      }
    }
    return HEX.parseHex(hex);
  }
}
