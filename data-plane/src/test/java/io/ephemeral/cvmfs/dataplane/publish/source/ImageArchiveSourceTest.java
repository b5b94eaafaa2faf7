package io.ephemeral.cvmfs.dataplane.publish.source;

import static io.ephemeral.cvmfs.dataplane.publish.source.Images.OCI_INDEX;
import static io.ephemeral.cvmfs.dataplane.publish.source.Images.dockerLayers;
import static io.ephemeral.cvmfs.dataplane.publish.source.Images.dockerManifest;
import static io.ephemeral.cvmfs.dataplane.publish.source.Images.dockerSave;
import static io.ephemeral.cvmfs.dataplane.publish.source.Images.platform;
import static io.ephemeral.cvmfs.dataplane.publish.source.Images.sha256;
import static io.ephemeral.cvmfs.dataplane.testsupport.Tars.gzip;
import static io.ephemeral.cvmfs.dataplane.testsupport.Tars.tar;
import static io.ephemeral.cvmfs.dataplane.testsupport.Tars.zstd;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ephemeral.cvmfs.dataplane.publish.source.ArchiveSource.Limits;
import io.ephemeral.cvmfs.dataplane.publish.source.Images.Oci;
import io.ephemeral.cvmfs.dataplane.publish.source.SourceEntry.EntryType;
import io.ephemeral.cvmfs.dataplane.testsupport.Tars.Seen;
import io.ephemeral.cvmfs.dataplane.testsupport.Tars;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

class ImageArchiveSourceTest {

  private static final String GZIP_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip";
  private static final String ZSTD_LAYER = "application/vnd.oci.image.layer.v1.tar+zstd";

  @TempDir
  Path scratch;

  /** Whatever happened, the walk leaves nothing behind in the scratch directory. */
  @AfterEach
  void scratchIsEmpty() throws IOException {
    try (Stream<Path> left = Files.list(scratch)) {
      assertEquals(List.of(), left.toList());
    }
  }

  private List<Seen> read(byte[] archive, ImageFormat format) throws IOException {
    return Tars.walk(new ImageArchiveSource(new ByteArrayInputStream(archive), format, scratch));
  }

  private InvalidSourceException refusal(byte[] archive, ImageFormat format, String expected) {
    return refusal(archive, format, Limits.DEFAULT, expected);
  }

  private InvalidSourceException refusal(byte[] archive, ImageFormat format, Limits limits, String expected) {
    InvalidSourceException e = assertThrows(InvalidSourceException.class,
        () -> Tars.walk(new ImageArchiveSource(new ByteArrayInputStream(archive), format, scratch, limits)));
    assertTrue(e.getMessage().contains(expected), () -> "message '" + e.getMessage() + "' lacks '" + expected + "'");
    return e;
  }

  /**
   * The tree a consumer builds from the entries, by the rules of the publication ingest: missing
   * parents are implied, a later entry replaces an earlier one, a directory never turns into
   * anything else, and hard links become copies of their target.
   */
  private static Map<String, String> tree(List<Seen> seen) {
    Map<String, String> tree = new TreeMap<>();
    for (Seen s : seen) {
      SourceEntry e = s.entry();
      String path = e.path();
      for (int slash = path.indexOf('/'); slash >= 0; slash = path.indexOf('/', slash + 1)) {
        String parent = path.substring(0, slash);
        String existing = tree.putIfAbsent(parent, "dir implied");
        if (existing != null && !existing.startsWith("dir")) {
          fail(path + " lies beneath " + parent + ", which is " + existing);
        }
      }
      String existing = tree.get(path);
      if (existing != null && existing.startsWith("dir") && e.type() != EntryType.DIRECTORY) {
        fail(path + " turns a directory into a " + e.type());
      }
      tree.put(path, switch (e.type()) {
        case DIRECTORY -> "dir " + Integer.toOctalString(e.permissions());
        case REGULAR -> "file " + Integer.toOctalString(e.permissions()) + " " + s.text();
        case SYMLINK -> "link " + e.linkTarget();
        case HARDLINK -> {
          String target = tree.get(e.linkTarget());
          if (target == null || !target.startsWith("file")) {
            fail("hard link " + path + " points to " + e.linkTarget() + ", which is " + target);
          }
          yield target;
        }
      });
    }
    return tree;
  }

  private static Map<String, String> expected(String... pairs) {
    Map<String, String> map = new TreeMap<>();
    for (int i = 0; i < pairs.length; i += 2) {
      map.put(pairs[i], pairs[i + 1]);
    }
    return map;
  }

  private static byte[] baseLayer() {
    return tar()
        .dir("./")
        .symlink("bin", "usr/bin")
        .dir("usr/").dir("usr/bin/").file("usr/bin/tool", "tool v1")
        .dir("etc/").file("etc/passwd", "root:x:0:0\n").file("etc/hosts", "old hosts")
        .dir("var/").dir("var/cache/").file("var/cache/a", "a").dir("var/cache/sub/").file("var/cache/sub/b", "b")
        .dir("opt/", 0700).file("opt/base", "base")
        .dir("data/").file("data/old", "old")
        .file("tmp-file", "remove me")
        .dir("dev/").special("dev/null", TarConstants.LF_CHR).special("dev/initctl", TarConstants.LF_FIFO)
        .special("dev/sda", TarConstants.LF_BLK)
        .bytes();
  }

  private static byte[] middleLayer() {
    return tar()
        .dir("opt/", 0755).file("opt/extra", "extra")
        .dir("var/").file("var/.wh.cache", "")
        .file(".wh.tmp-file", "")
        .dir("data/").file("data/from-middle", "middle")
        .bytes();
  }

  private static byte[] topLayer() {
    return tar()
        .dir("etc/").file("etc/hosts", "new hosts")
        .dir("data/", 0750).file("data/.wh..wh..opq", "").file("data/new", "new")
        .dir("dev/").special("dev/sda", TarConstants.LF_BLK)
        .bytes();
  }

  private static final Map<String, String> FLATTENED = expected(
      "", "dir 755",
      "bin", "link usr/bin",
      "usr", "dir 755", "usr/bin", "dir 755", "usr/bin/tool", "file 644 tool v1",
      "etc", "dir 755", "etc/passwd", "file 644 root:x:0:0\n", "etc/hosts", "file 644 new hosts",
      "var", "dir 755",
      "opt", "dir 755", "opt/base", "file 644 base", "opt/extra", "file 644 extra",
      "data", "dir 750", "data/new", "file 644 new",
      "dev", "dir 755");

  @Test
  void flattensTheLayersOfADockerSave() throws IOException {
    ImageArchiveSource source = new ImageArchiveSource(
        new ByteArrayInputStream(dockerSave(baseLayer(), middleLayer(), topLayer())), ImageFormat.DOCKER_ARCHIVE,
        scratch);
    List<Seen> seen = Tars.walk(source);

    assertEquals(FLATTENED, tree(seen));
    assertEquals(seen.size(), seen.stream().map(s -> s.entry().path()).distinct().count(), "a path came twice");
    // The null device and the FIFO of the base layer and the disk of the top one; the base
    // layer's disk lies beneath the top one's.
    assertEquals(3, source.skippedSpecialFiles());
  }

  @ParameterizedTest
  @ValueSource(strings = {"gzip", "zstd"})
  void readsACompressedDockerSave(String compression) throws IOException {
    byte[] plain = dockerSave(baseLayer(), middleLayer(), topLayer());
    byte[] archive = compression.equals("gzip") ? gzip(plain) : zstd(plain);
    assertEquals(FLATTENED, tree(read(archive, ImageFormat.DOCKER_ARCHIVE)));
  }

  @Test
  void readsCompressedLayersOfADockerSave() throws IOException {
    byte[] archive = dockerSave(gzip(baseLayer()), zstd(middleLayer()), topLayer());
    assertEquals(FLATTENED, tree(read(archive, ImageFormat.DOCKER_ARCHIVE)));
  }

  @Test
  void readsAnOciLayoutThroughANestedIndex() throws IOException {
    byte[] lower = tar().dir("etc/").file("etc/os-release", "one").file("etc/motd", "hello").bytes();
    byte[] upper = tar().dir("etc/").file("etc/motd", "bye").file("etc/.wh.os-release", "").bytes();
    Oci oci = new Oci();
    ObjectNode image = oci.image(List.of(oci.blob(GZIP_LAYER, gzip(lower)), oci.blob(ZSTD_LAYER, zstd(upper))));
    ObjectNode nested = oci.blob(OCI_INDEX, Oci.index(List.of(platform(image, "linux", "amd64"))));
    byte[] archive = oci.finish(List.of(nested));

    assertEquals(expected("etc", "dir 755", "etc/motd", "file 644 bye"), tree(read(archive, ImageFormat.OCI_ARCHIVE)));
    assertEquals(expected("etc", "dir 755", "etc/motd", "file 644 bye"), tree(read(archive, null)));
  }

  @Test
  void picksThePlatformTheArchiveHolds() throws IOException {
    byte[] layer = tar().file("here", "amd64").bytes();
    Oci oci = new Oci();
    ObjectNode present = platform(oci.image(List.of(oci.blob(GZIP_LAYER, gzip(layer)))), "linux", "amd64");
    // Listed, as docker save lists every platform, but not saved.
    byte[] missingManifest = "{\"schemaVersion\":2,\"layers\":[]}".getBytes(StandardCharsets.UTF_8);
    ObjectNode absent = platform(Oci.descriptor(Images.OCI_MANIFEST, missingManifest), "linux", "arm64");
    ObjectNode nested = oci.blob(OCI_INDEX, Oci.index(List.of(absent, present)));
    assertEquals(expected("here", "file 644 amd64"), tree(read(oci.finish(List.of(nested)), ImageFormat.OCI_ARCHIVE)));
  }

  @Test
  void refusesSeveralImagesInIndexJson() throws IOException {
    Oci oci = new Oci();
    ObjectNode one = oci.image(List.of(oci.blob(GZIP_LAYER, gzip(tar().file("a", "1").bytes()))));
    ObjectNode two = oci.image(List.of(oci.blob(GZIP_LAYER, gzip(tar().file("b", "2").bytes()))));
    refusal(oci.finish(List.of(one, two)), ImageFormat.OCI_ARCHIVE, "index.json lists 2 images");
  }

  @ParameterizedTest
  @EnumSource(ImageFormat.class)
  void readsANewerDockerSaveWithEitherFormat(ImageFormat format) throws IOException {
    // Docker 25 and later write an OCI layout and a manifest.json naming the same blobs.
    Oci oci = new Oci();
    List<byte[]> layers = List.of(baseLayer(), middleLayer(), topLayer());
    List<ObjectNode> descriptors = layers.stream().map(l -> oci.blob("application/vnd.oci.image.layer.v1.tar", l))
        .toList();
    ObjectNode image = oci.image(descriptors);
    oci.outer.file("manifest.json", dockerManifest(layers.stream().map(l -> "blobs/sha256/" + sha256(l)).toList()));
    byte[] archive = oci.finish(List.of(image));
    assertEquals(FLATTENED, tree(read(archive, format)));
  }

  @Test
  void refusesABlobThatDoesNotMatchItsDigest() throws IOException {
    byte[] layer = gzip(tar().file("a", "genuine").bytes());
    byte[] forged = gzip(tar().file("a", "forged!").bytes());
    Oci oci = new Oci();
    ObjectNode descriptor = Oci.descriptor(GZIP_LAYER, layer);
    oci.outer.file("blobs/sha256/" + sha256(layer), forged, 0644);
    byte[] archive = oci.finish(List.of(oci.image(List.of(descriptor))));
    refusal(archive, ImageFormat.OCI_ARCHIVE, "blob sha256:" + sha256(layer) + " does not match its digest");
  }

  @Test
  void refusesADescriptorWhoseSizeDoesNotMatch() throws IOException {
    byte[] layer = gzip(tar().file("a", "x").bytes());
    Oci oci = new Oci();
    ObjectNode descriptor = oci.blob(GZIP_LAYER, layer).put("size", layer.length + 1);
    refusal(oci.finish(List.of(oci.image(List.of(descriptor)))), ImageFormat.OCI_ARCHIVE,
        "has " + layer.length + " bytes, its descriptor says " + (layer.length + 1));
  }

  @Test
  void refusesAMissingLayer() throws IOException {
    byte[] layer = tar().file("a", "x").bytes();
    Tars outer = tar();
    List<String> paths = dockerLayers(outer, layer);
    byte[] docker = outer.file("manifest.json", dockerManifest(List.of(paths.get(0), "gone/layer.tar"))).bytes();
    refusal(docker, ImageFormat.DOCKER_ARCHIVE, "layer 'gone/layer.tar' listed in manifest.json is not in the archive");

    Oci oci = new Oci();
    ObjectNode absent = Oci.descriptor(GZIP_LAYER, gzip(layer));
    refusal(oci.finish(List.of(oci.image(List.of(absent)))), ImageFormat.OCI_ARCHIVE,
        "layer sha256:" + sha256(gzip(layer)) + " is not in the archive");
  }

  @Test
  void refusesTwoImagesInManifestJson() {
    Tars outer = tar();
    List<String> paths = dockerLayers(outer, tar().file("a", "x").bytes());
    String one = dockerManifest(paths);
    String two = "[" + one.substring(1, one.length() - 1) + "," + one.substring(1);
    refusal(outer.file("manifest.json", two).bytes(), ImageFormat.DOCKER_ARCHIVE, "manifest.json lists 2 images");
  }

  @Test
  void refusesAnArchiveWithoutItsManifest() throws IOException {
    Tars outer = tar();
    dockerLayers(outer, tar().file("a", "x").bytes());
    byte[] archive = outer.bytes();
    refusal(archive, ImageFormat.DOCKER_ARCHIVE, "not a docker save archive: it has no manifest.json");
    refusal(archive, ImageFormat.OCI_ARCHIVE, "not an OCI image layout: it has no index.json");
    refusal(archive, null, "not a container image archive");
    refusal(tar().file("manifest.json", "{not json").bytes(), ImageFormat.DOCKER_ARCHIVE,
        "manifest.json is not valid JSON");
    refusal("plain text".getBytes(StandardCharsets.UTF_8), null, "not a tar, tar.gz or tar.zst archive");
  }

  @Test
  void refusesATruncatedLayerNamingIt() throws IOException {
    byte[] good = tar().file("fine", "x").bytes();
    byte[] layer = tar().file("big", new byte[10_000], 0644).bytes();
    Tars outer = tar();
    List<String> paths = dockerLayers(outer, good, Arrays.copyOf(layer, 512 + 4096));
    byte[] archive = outer.file("manifest.json", dockerManifest(paths)).bytes();
    InvalidSourceException e = refusal(archive, ImageFormat.DOCKER_ARCHIVE, "layer 2 of 2 ('" + paths.get(1) + "')");
    assertTrue(e.getMessage().contains("truncated archive") && e.getMessage().contains("'big'"), e::getMessage);

    byte[] compressed = gzip(tar().file("big", new byte[100_000], 0644).bytes());
    Oci oci = new Oci();
    ObjectNode cut = oci.blob(GZIP_LAYER, Arrays.copyOf(compressed, compressed.length / 2));
    refusal(oci.finish(List.of(oci.image(List.of(cut)))), ImageFormat.OCI_ARCHIVE, "truncated gzip stream");
  }

  @Test
  void refusesATruncatedArchive() {
    byte[] archive = dockerSave(baseLayer(), middleLayer(), topLayer());
    refusal(Arrays.copyOf(archive, archive.length / 2), ImageFormat.DOCKER_ARCHIVE, "truncated archive");
  }

  @Test
  void keepsTheFailuresOfTheVisitorAsTheyAre() {
    IOException failure = new InvalidSourceException("the visitor had enough");
    IOException thrown = assertThrows(IOException.class,
        () -> new ImageArchiveSource(new ByteArrayInputStream(dockerSave(baseLayer())), ImageFormat.DOCKER_ARCHIVE,
            scratch).walk((entry, content) -> {
              throw failure;
            }));
    assertEquals(failure, thrown);
  }

  @Test
  void canOnlyBeWalkedOnce() throws IOException {
    ImageArchiveSource source = new ImageArchiveSource(
        new ByteArrayInputStream(dockerSave(topLayer())), ImageFormat.DOCKER_ARCHIVE, scratch);
    Tars.walk(source);
    assertThrows(IllegalStateException.class, () -> Tars.walk(source));
  }

  @Test
  void aDirectoryReplacingAFileStartsEmpty() throws IOException {
    byte[] first = tar().dir("a/").file("a/x", "x").dir("lib/").file("lib/y", "y").bytes();
    byte[] second = tar().file("a", "a file now").symlink("lib", "usr/lib").bytes();
    byte[] third = tar().dir("a/", 0700).file("a/z", "z").bytes();
    assertEquals(
        expected("a", "dir 700", "a/z", "file 644 z", "lib", "link usr/lib"),
        tree(read(dockerSave(first, second, third), ImageFormat.DOCKER_ARCHIVE)));
  }

  @Test
  void aFileReplacedWithoutItsParentEntryStillHidesWhatWasBelow() throws IOException {
    // The upper layer only implies 'a' is a directory; the middle layer's file 'a' removed 'a/x'.
    byte[] first = tar().dir("a/", 0700).file("a/x", "x").bytes();
    byte[] second = tar().file("a", "a file").bytes();
    byte[] third = tar().file("a/z", "z").bytes();
    List<Seen> seen = read(dockerSave(first, second, third), ImageFormat.DOCKER_ARCHIVE);
    assertEquals(expected("a", "dir 700", "a/z", "file 644 z"), tree(seen));
    // Upper layers come first, so the directory entry follows its child.
    assertEquals(List.of("a/z", "a"), seen.stream().map(s -> s.entry().path()).toList());
  }

  @Test
  void whiteoutsOnlyHideLowerLayers() throws IOException {
    byte[] first = tar().file("gone", "x").file("kept", "lower").dir("d/").file("d/old", "old").bytes();
    byte[] second = tar().file(".wh.gone", "").file("here", "same layer").file(".wh.here", "")
        .file("d/.wh..wh..opq", "").file("d/new", "new").bytes();
    assertEquals(
        expected("kept", "file 644 lower", "here", "file 644 same layer", "d", "dir 755", "d/new", "file 644 new"),
        tree(read(dockerSave(first, second), ImageFormat.DOCKER_ARCHIVE)));
  }

  @Test
  void anOpaqueRootHidesEveryLowerLayer() throws IOException {
    byte[] first = tar().dir("./", 0700).file("a", "a").dir("d/").bytes();
    byte[] second = tar().file(".wh..wh..opq", "").file("b", "b").bytes();
    assertEquals(expected("", "dir 700", "b", "file 644 b"),
        tree(read(dockerSave(first, second), ImageFormat.DOCKER_ARCHIVE)));
  }

  @Test
  void leavesAufsBookkeepingOut() throws IOException {
    byte[] layer = tar().file(".wh..wh.aufs", "").dir(".wh..wh.orph/").dir(".wh..wh.plnk/")
        .file(".wh..wh.plnk/123.456", "linked").hardlink("usr/x", ".wh..wh.plnk/123.456").bytes();
    assertEquals(expected("usr", "dir implied", "usr/x", "file 644 linked"),
        tree(read(dockerSave(layer), ImageFormat.DOCKER_ARCHIVE)));
  }

  @Test
  void hardLinksToFilesUpperLayersReplacedBecomeCopies() throws IOException {
    byte[] first = tar()
        .dir("lib/")
        .file("lib/a", "A1").hardlink("lib/a-link", "lib/a")
        .file("lib/b", "B1").hardlink("lib/b-link", "lib/b").hardlink("lib/b-link2", "lib/b")
        .file("lib/c", "C").hardlink("lib/c-link", "lib/c")
        .file("lib/d", "D").hardlink("lib/d-link", "lib/d").file("lib/d-link", "own content")
        .bytes();
    byte[] second = tar().file("lib/a", "A2").file("lib/.wh.b", "").file("lib/d", "D2").bytes();
    List<Seen> seen = read(dockerSave(first, second), ImageFormat.DOCKER_ARCHIVE);

    assertEquals(expected(
        "lib", "dir 755",
        "lib/a", "file 644 A2", "lib/a-link", "file 644 A1",
        "lib/b-link", "file 644 B1", "lib/b-link2", "file 644 B1",
        "lib/c", "file 644 C", "lib/c-link", "file 644 C",
        "lib/d", "file 644 D2", "lib/d-link", "file 644 own content"), tree(seen));
    Map<String, SourceEntry> entries = new HashMap<>();
    seen.forEach(s -> entries.put(s.entry().path(), s.entry()));
    assertEquals(EntryType.HARDLINK, entries.get("lib/c-link").type(), "a link within the layer stays a link");
    assertEquals(EntryType.REGULAR, entries.get("lib/b-link").type());
    assertEquals(EntryType.HARDLINK, entries.get("lib/b-link2").type());
    assertEquals("lib/b-link", entries.get("lib/b-link2").linkTarget());
  }

  @Test
  void refusesHardLinksAcrossLayers() {
    byte[] first = tar().file("x", "x").bytes();
    byte[] second = tar().hardlink("y", "x").bytes();
    refusal(dockerSave(first, second), ImageFormat.DOCKER_ARCHIVE,
        "hard link 'y' points to 'x', which is not an earlier regular file of this layer;"
            + " hard links across layers are not supported");
  }

  @Test
  void holdsTheFlattenedTreeToTheLimits() throws IOException {
    byte[] first = tar().file("kept", new byte[100], 0644).file("gone1", new byte[100], 0644)
        .file("gone2", new byte[100], 0644).bytes();
    byte[] second = tar().file(".wh.gone1", "").file(".wh.gone2", "").bytes();
    byte[] archive = dockerSave(first, second);

    // 300 bytes in the layers, 100 in the tree.
    assertEquals(1, Tars.walk(new ImageArchiveSource(new ByteArrayInputStream(archive), ImageFormat.DOCKER_ARCHIVE,
        scratch, new Limits(10, 100, 200))).size());
    refusal(archive, ImageFormat.DOCKER_ARCHIVE, new Limits(10, 100, 99), "image expands past the limit of 99 bytes");
    refusal(archive, ImageFormat.DOCKER_ARCHIVE, new Limits(10, 99, 1000), "file 'kept' is larger than the limit of 99");
    refusal(dockerSave(baseLayer(), middleLayer(), topLayer()), ImageFormat.DOCKER_ARCHIVE,
        new Limits(FLATTENED.size() - 1, 1000, 1000), "image expands past the limit of " + (FLATTENED.size() - 1));
  }

  @Test
  void boundsWhatUpperLayersHide() {
    byte[] first = tar().file("big", new byte[1000], 0644).bytes();
    byte[] second = tar().file(".wh.big", "").bytes();
    refusal(dockerSave(first, second), ImageFormat.DOCKER_ARCHIVE, new Limits(10, 1000, 999),
        "the layers hold more than 999 bytes of content that upper layers replace or delete");
    // One layer listed over and over again hides all but its first copy.
    byte[] layer = tar().file("a", "a").file("b", "b").bytes();
    byte[][] layers = new byte[10][];
    Arrays.fill(layers, layer);
    refusal(dockerSave(layers), ImageFormat.DOCKER_ARCHIVE, new Limits(10, 1000, 1000),
        "the layers hold more than 10 entries that upper layers replace or delete");
  }
}
