package io.ephemeral.cvmfs.dataplane.verify;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.ephemeral.cvmfs.common.format.ContentHash;
import io.ephemeral.cvmfs.common.format.HashAlgorithm;
import io.ephemeral.cvmfs.common.format.ObjectKind;
import io.ephemeral.cvmfs.dataplane.format.Compression;
import io.ephemeral.cvmfs.dataplane.testsupport.FixtureServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RemoteRepositoryTest {

  private static final String FQRN = "test.example.org";
  private static final byte[] TEXT = "some plain content\n".getBytes(StandardCharsets.US_ASCII);

  @TempDir
  Path root;

  @Test
  void nameComesFromTheLastPathSegment() {
    assertEquals("repo.example.org", RemoteRepository.of("http://localhost:8080/cvmfs/repo.example.org/").fqrn());
  }

  @Test
  void inflatesAndChecksAnObject() throws IOException {
    ContentHash hash = store(zlib(TEXT), ObjectKind.FILE);
    try (FixtureServer server = FixtureServer.serve(root)) {
      RemoteRepository remote = new RemoteRepository(server.uri("cvmfs/" + FQRN));
      assertArrayEquals(TEXT, remote.fetchObject(hash, ObjectKind.FILE, Compression.ZLIB, TEXT.length));

      Path target = root.resolve("fetched");
      remote.fetchObjectTo(hash, ObjectKind.FILE, Compression.ZLIB, TEXT.length, target);
      assertArrayEquals(TEXT, Files.readAllBytes(target));
    }
  }

  @Test
  void uncompressedObjectsAreTakenAsStored() throws IOException {
    ContentHash hash = store(TEXT, ObjectKind.CHUNK);
    try (FixtureServer server = FixtureServer.serve(root)) {
      RemoteRepository remote = new RemoteRepository(server.uri("cvmfs/" + FQRN));
      assertArrayEquals(TEXT, remote.fetchObject(hash, ObjectKind.CHUNK, Compression.NONE, TEXT.length));
    }
  }

  @Test
  void reportsEveryKindOfBadObject() throws IOException {
    byte[] zlib = zlib(TEXT);
    ContentHash good = store(zlib, ObjectKind.FILE);
    ContentHash truncated = store(Arrays.copyOf(zlib, zlib.length - 3), ObjectKind.FILE);
    byte[] trailing = Arrays.copyOf(zlib, zlib.length + 2);
    ContentHash withTrailing = store(trailing, ObjectKind.FILE);
    ContentHash notZlib = store(TEXT, ObjectKind.CATALOG);
    try (FixtureServer server = FixtureServer.serve(root)) {
      URI base = server.uri("cvmfs/" + FQRN);
      RemoteRepository remote = new RemoteRepository(base);
      String object = "object " + good + " (" + base + "/" + good.objectPath(ObjectKind.FILE) + "): ";

      assertEquals(object + "inflates to " + TEXT.length + " bytes, expected " + (TEXT.length + 1),
          fault(() -> remote.fetchObject(good, ObjectKind.FILE, Compression.ZLIB, TEXT.length + 1)));
      assertEquals(object + "inflates to more than the expected 5 bytes",
          fault(() -> remote.fetchObject(good, ObjectKind.FILE, Compression.ZLIB, 5)));
      assertEquals("the zlib stream is truncated",
          detail(fault(() -> remote.fetchObject(truncated, ObjectKind.FILE, Compression.ZLIB, TEXT.length))));
      assertEquals("bytes follow the end of the zlib stream",
          detail(fault(() -> remote.fetchObject(withTrailing, ObjectKind.FILE, Compression.ZLIB, TEXT.length))));
      // Catalogs are inflated whatever compression the caller passes.
      String invalid = detail(fault(() -> remote.fetchObject(notZlib, ObjectKind.CATALOG, Compression.NONE, -1)));
      assertEquals("not a valid zlib stream", invalid.substring(0, invalid.indexOf(" (")));

      ContentHash absent = HashAlgorithm.SHA1.hash(new byte[] {1, 2, 3});
      HttpStatusException missing = assertThrows(HttpStatusException.class,
          () -> remote.fetchObject(absent, ObjectKind.FILE, Compression.ZLIB, 3));
      assertEquals(404, missing.statusCode());
      assertEquals("GET " + base + "/" + absent.objectPath(ObjectKind.FILE) + " answered HTTP 404", missing.getMessage());

      Path target = root.resolve("partial");
      fault(() -> remote.fetchObjectTo(good, ObjectKind.FILE, Compression.ZLIB, 1, target));
      assertFalse(Files.exists(target), "a failed download leaves no file behind");
    }
  }

  @Test
  void hashMismatchTakesPrecedence() throws IOException {
    byte[] zlib = zlib(TEXT);
    ContentHash hash = store(zlib, ObjectKind.FILE);
    Path object = root.resolve("cvmfs").resolve(FQRN).resolve(hash.objectPath(ObjectKind.FILE));
    zlib[zlib.length / 2] ^= 0x10;
    Files.write(object, zlib);
    try (FixtureServer server = FixtureServer.serve(root)) {
      RemoteRepository remote = new RemoteRepository(server.uri("cvmfs/" + FQRN));
      String message = fault(() -> remote.fetchObject(hash, ObjectKind.FILE, Compression.ZLIB, TEXT.length));
      assertEquals("its bytes hash to " + HashAlgorithm.SHA1.hash(zlib) + ", not to the object's name", detail(message));
    }
  }

  /** Stores {@code bytes} as an object named by their SHA-1, under {@code root/cvmfs/FQRN}. */
  private ContentHash store(byte[] bytes, ObjectKind kind) throws IOException {
    ContentHash hash = HashAlgorithm.SHA1.hash(bytes);
    Path file = root.resolve("cvmfs").resolve(FQRN).resolve(hash.objectPath(kind));
    Files.createDirectories(file.getParent());
    Files.write(file, bytes);
    return hash;
  }

  private static byte[] zlib(byte[] plain) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (DeflaterOutputStream deflating = new DeflaterOutputStream(out, new Deflater())) {
      deflating.write(plain);
    }
    return out.toByteArray();
  }

  private static String fault(Fetch fetch) {
    return assertThrows(VerificationException.class, fetch::run).getMessage();
  }

  /** The part of a fault message after the object's name and URL. */
  private static String detail(String message) {
    return message.substring(message.indexOf("): ") + 3);
  }

  private interface Fetch {
    void run() throws IOException;
  }
}
