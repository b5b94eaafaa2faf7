package io.ephemeral.cvmfs.dataplane.verify;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ephemeral.cvmfs.dataplane.format.DirectoryEntry;
import io.ephemeral.cvmfs.dataplane.testsupport.FixtureServer;
import io.ephemeral.cvmfs.dataplane.testsupport.Fixtures;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class RepositoryReaderTest {

  private static FixtureServer server;
  private static RepositoryReader reader;

  @BeforeAll
  static void open() throws IOException {
    server = FixtureServer.serve(Fixtures.referenceRepo());
    reader = RepositoryReader.open(new RemoteRepository(server.uri(Fixtures.REFERENCE_FQRN)));
  }

  @AfterAll
  static void close() throws IOException {
    reader.close();
    server.close();
  }

  @Test
  void chunkedFilesReadBackToTheReadmeDigests() throws Exception {
    assertEquals("5aadf1e25eb37565acaa5265fb3515072725aa391c62b14d459cdd9c03c1856d", sha256("/big/chunked-20MiB.bin"));
    assertEquals("92799240053553bf756d0ed47bd57db108df82fdcd6085c8ff481a49763b344f", sha256("/big/maxcut-20MiB.bin"));
  }

  @Test
  void smallFilesHaveTheReadmeContents() throws IOException {
    Map<String, String> contents = Map.of(
        "/hello.txt", "Hello, CernVM-FS!\n",
        "/empty.txt", "",
        "/dir/note.txt", "A plain file in a plain directory.\n",
        "/bin/hello.sh", "#!/bin/sh\necho hello\n",
        "/nested/.cvmfscatalog", "",
        "/nested/inside.txt", "This file lives in the nested catalog /nested.\n",
        "/nested/deeper/leaf.txt", "leaf\n");
    for (Map.Entry<String, String> file : contents.entrySet()) {
      assertArrayEquals(file.getValue().getBytes(StandardCharsets.US_ASCII), reader.readAllBytes(file.getKey()),
          file.getKey());
    }
  }

  @Test
  void resolvesThroughNestedCatalogs() throws IOException {
    assertEquals(33, reader.lookup("/nested").orElseThrow().flags());
    assertEquals(1, reader.lookup("/").orElseThrow().flags());
    assertEquals(List.of(".cvmfscatalog", "deeper", "inside.txt"),
        reader.list("/nested").stream().map(DirectoryEntry::name).toList());
    assertEquals("hello.txt", reader.lookup("/hello-link").orElseThrow().symlink());
    assertTrue(reader.lookup("/nested/absent").isEmpty());
    assertTrue(reader.lookup("/hello.txt/below-a-file").isEmpty());
  }

  @Test
  void refusesWhatIsNotARegularFile() {
    assertThrows(NoSuchFileException.class, () -> reader.open("/absent.txt"));
    IOException directory = assertThrows(IOException.class, () -> reader.open("/dir"));
    assertEquals("/dir is not a regular file", directory.getMessage());
    IOException file = assertThrows(IOException.class, () -> reader.list("/hello.txt"));
    assertEquals("/hello.txt is not a directory", file.getMessage());
  }

  private static String sha256(String path) throws IOException, NoSuchAlgorithmException {
    MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
    long size = 0;
    try (InputStream in = reader.open(path)) {
      byte[] buffer = new byte[1 << 16];
      for (int n; (n = in.read(buffer)) >= 0; ) {
        sha256.update(buffer, 0, n);
        size += n;
      }
    }
    assertEquals(20971520, size);
    return HexFormat.of().formatHex(sha256.digest());
  }
}
