package io.ephemeral.cvmfs.dataplane.format;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.ephemeral.cvmfs.common.format.ContentHash;
import io.ephemeral.cvmfs.common.format.HashAlgorithm;
import io.ephemeral.cvmfs.common.format.ObjectKind;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/** The worked examples of the format specification, byte for byte. */
class FormatVectorsTest {

  @Test
  void emptyObjectHasTheNamesTheSpecGives() {
    ObjectEncoder encoder = new ObjectEncoder(6);
    ObjectEncoder.Encoded sha1 = encoder.encode(new byte[0], 0, 0, Compression.ZLIB, HashAlgorithm.SHA1);
    ByteSlice slice = sha1.bytes().get(0);
    byte[] stored = java.util.Arrays.copyOfRange(slice.array(), slice.offset(), slice.offset() + slice.length());
    assertArrayEquals(HexFormat.of().parseHex("789c030000000001"), stored);
    assertEquals("data/e8/ec3d88b62ebf526e4e5a4ff6162a3aa48a6b78", sha1.hash().objectPath(ObjectKind.FILE));
    assertEquals("data/fc/db20b894f31f1306d56294c049ca7293dde0fc-rmd160",
        encoder.encode(new byte[0], 0, 0, Compression.ZLIB, HashAlgorithm.RMD160).hash().objectPath(ObjectKind.FILE));
    assertEquals("data/28/d94b83b7229b331fc601362b8e272e02665122-shake128",
        encoder.encode(new byte[0], 0, 0, Compression.ZLIB, HashAlgorithm.SHAKE128).hash().objectPath(ObjectKind.FILE));
  }

  @Test
  void hashStringsRoundTripAndRejectNonCanonicalForms() {
    ContentHash hash = ContentHash.parse("f941811ae09b04596b30f53cc23fc01b125788c8");
    assertEquals("data/f9/41811ae09b04596b30f53cc23fc01b125788c8C", hash.objectPath(ObjectKind.CATALOG));
    assertEquals(HashAlgorithm.RMD160, ContentHash.parse("fcdb20b894f31f1306d56294c049ca7293dde0fc-rmd160").algorithm());
    assertThrows(IllegalArgumentException.class, () -> ContentHash.parse("F941811AE09B04596B30F53CC23FC01B125788C8"));
    assertThrows(IllegalArgumentException.class, () -> ContentHash.parse("f941811ae09b04596b30f53cc23fc01b125788"));
  }

  @Test
  void pathHashesMatchTheSpecTable() {
    assertEquals(new PathHash(338333539836370388L, 9098107892288553193L), PathHash.of(""));
    assertEquals(new PathHash(5745132282796244766L, -5819618580357280866L), PathHash.of("/foo"));
    assertEquals(new PathHash(-2822516800166431715L, 9048809318629099454L), PathHash.of("/foo/bar"));
  }

  @Test
  void catalogFlagsOfCommonEntries() {
    DirectoryEntry file = DirectoryEntry.regular("/f", 0644, 1, 0, 0, 0, HashAlgorithm.SHA1, Compression.ZLIB,
        HashAlgorithm.SHA1.hash(new byte[0]), java.util.List.of());
    assertEquals(4, file.flags());
    assertEquals(33188, file.mode());
    DirectoryEntry raw = DirectoryEntry.regular("/f", 0644, 1, 0, 0, 0, HashAlgorithm.SHA1, Compression.NONE,
        HashAlgorithm.SHA1.hash(new byte[0]), java.util.List.of());
    assertEquals(2052, raw.flags());
    DirectoryEntry rmd = DirectoryEntry.regular("/f", 0644, 1, 0, 0, 0, HashAlgorithm.RMD160, Compression.ZLIB,
        HashAlgorithm.RMD160.hash(new byte[0]), java.util.List.of());
    assertEquals(260, rmd.flags());
    assertEquals(12, DirectoryEntry.symlink("/l", "t", 0, 0, 0).flags());
    assertEquals(41471, DirectoryEntry.symlink("/l", "t", 0, 0, 0).mode());
    assertEquals(16877, DirectoryEntry.directory("", 0755, 0, 0, 0, 2, 0).mode());
    assertEquals(33, DirectoryEntry.directory("/n", 0755, 0, 0, 0, 2, EntryFlags.NESTED_ROOT).flags());
  }

  @Test
  void manifestBodyFollowsTheFieldOrderOfCvmfsServer() {
    Manifest manifest = new Manifest(ContentHash.parse("f941811ae09b04596b30f53cc23fc01b125788c8"), 57344, 240, 1, false,
        "test.example.org", ContentHash.parse("ba76055ddf51df7365c69d2b7af3c2aad2f29c21"), null, 1795593822L, null, null);
    String expected = "Cf941811ae09b04596b30f53cc23fc01b125788c8\nB57344\nRd41d8cd98f00b204e9800998ecf8427e\nD240\nS1\nGno\nAno\n"
        + "Ntest.example.org\nXba76055ddf51df7365c69d2b7af3c2aad2f29c21\nT1795593822\n";
    assertEquals(expected, new String(manifest.body(), StandardCharsets.US_ASCII));
  }
}
