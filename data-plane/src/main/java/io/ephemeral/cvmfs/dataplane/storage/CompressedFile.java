package io.ephemeral.cvmfs.dataplane.storage;

import io.ephemeral.cvmfs.common.format.ContentHash;
import io.ephemeral.cvmfs.common.format.HashAlgorithm;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;

/**
 * The zlib encoding of a file, written to another file and named by its digest, at zlib's
 * default level whatever the level of file objects: a client keeps catalogs uncompressed in its
 * cache, and {@code cvmfs_fsck} checks them by compressing them again and comparing digests.
 */
record CompressedFile(ContentHash hash, long plainSize, long storedSize) {

  /** Compresses {@code plain} into {@code target}, which must not exist; removes it on failure. */
  static CompressedFile write(Path plain, Path target, HashAlgorithm algorithm) throws IOException {
    HashAlgorithm.Hasher hasher = algorithm.newHasher();
    long plainSize = Files.size(plain);
    long storedSize;
    try (InputStream in = Files.newInputStream(plain);
        HashingOutputStream hashing =
            new HashingOutputStream(Files.newOutputStream(target, StandardOpenOption.CREATE_NEW), hasher)) {
      Deflater deflater = new Deflater(Deflater.DEFAULT_COMPRESSION);
      try (DeflaterOutputStream deflating = new DeflaterOutputStream(hashing, deflater, 64 * 1024)) {
        in.transferTo(deflating);
      } finally {
        deflater.end();
      }
      storedSize = hashing.count;
    } catch (IOException e) {
      Files.deleteIfExists(target);
      throw e;
    }
    return new CompressedFile(new ContentHash(algorithm, hasher.digest()), plainSize, storedSize);
  }

  private static final class HashingOutputStream extends OutputStream {
    private final OutputStream out;
    private final HashAlgorithm.Hasher hasher;
    private long count;

    HashingOutputStream(OutputStream out, HashAlgorithm.Hasher hasher) {
      this.out = out;
      this.hasher = hasher;
    }

    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      hasher.update(b, off, len);
      out.write(b, off, len);
      count += len;
    }

    @Override
    public void close() throws IOException {
      out.close();
    }
  }
}
