package io.ephemeral.cvmfs.dataplane.publish.source;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The manifest and platform choices of image archives, over JSON alone. */
class ImageManifestsTest {

  private static final String AMD64 = "sha256:" + "a".repeat(64);
  private static final String ARM64 = "sha256:" + "b".repeat(64);
  private static final String ATTESTATION = "sha256:" + "c".repeat(64);
  private static final String ONLY = "sha256:" + "d".repeat(64);

  // --- which format -----------------------------------------------------------------------------

  static Stream<Arguments> formats() {
    return Stream.of(
        Arguments.of("docker save archive", null, true, false, ImageFormat.DOCKER_ARCHIVE),
        Arguments.of("OCI layout", null, false, true, ImageFormat.OCI_ARCHIVE),
        Arguments.of("newer docker save writes both", null, true, true, ImageFormat.DOCKER_ARCHIVE),
        Arguments.of("asked for OCI, both present", ImageFormat.OCI_ARCHIVE, true, true, ImageFormat.OCI_ARCHIVE),
        Arguments.of("asked for docker, none present", ImageFormat.DOCKER_ARCHIVE, false, false,
            ImageFormat.DOCKER_ARCHIVE));
  }

  @Test
  void looksNoFurtherThanItNeeds() throws Exception {
    ImageManifests.Archive none = path -> {
      throw new InvalidSourceException("asked for " + path);
    };
    assertEquals(ImageFormat.OCI_ARCHIVE, ImageManifests.chooseFormat(ImageFormat.OCI_ARCHIVE, none));
    assertEquals(ImageFormat.DOCKER_ARCHIVE, ImageManifests.chooseFormat(null,
        path -> path.equals("manifest.json") || none.has(path)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("formats")
  void choosesTheFormat(String name, ImageFormat requested, boolean docker, boolean oci, ImageFormat expected)
      throws Exception {
    assertEquals(expected, ImageManifests.chooseFormat(requested, members(docker, oci)));
  }

  private static ImageManifests.Archive members(boolean docker, boolean oci) {
    return path -> switch (path) {
      case "manifest.json" -> docker;
      case "index.json" -> oci;
      default -> throw new AssertionError("asked for " + path);
    };
  }

  @Test
  void refusesAnArchiveWithNeitherDocument() {
    assertMessage("not a container image archive: it has neither manifest.json nor index.json",
        () -> ImageManifests.chooseFormat(null, members(false, false)));
  }

  @Test
  void namesTheOtherFormatWhenTheAskedOneIsMissing() {
    assertEquals("not a docker save archive: it has no manifest.json",
        ImageManifests.noDockerManifest(false).getMessage());
    assertEquals("not a docker save archive: it has no manifest.json"
        + " (it holds an OCI image layout; read it as an OCI archive)", ImageManifests.noDockerManifest(true).getMessage());
    assertEquals("not an OCI image layout: it has no index.json", ImageManifests.noOciIndex(false).getMessage());
    assertEquals("not an OCI image layout: it has no index.json (it holds a docker save archive; read it as one)",
        ImageManifests.noOciIndex(true).getMessage());
  }

  // --- docker save manifest.json ----------------------------------------------------------------

  static Stream<Arguments> dockerManifests() {
    return Stream.of(
        Arguments.of("single image",
            "[{\"Config\":\"c.json\",\"RepoTags\":[\"x:1\"],\"Layers\":[\"a/layer.tar\",\"./b/layer.tar\"]}]",
            List.of("a/layer.tar", "b/layer.tar"), null),
        Arguments.of("layers named by digest",
            "[{\"Layers\":[\"blobs/sha256/" + "a".repeat(64) + "\"]}]",
            List.of("blobs/sha256/" + "a".repeat(64)), null),
        Arguments.of("no layers", "[{\"Layers\":[]}]", List.of(), null),
        Arguments.of("not an array", "{\"Layers\":[]}", null, "manifest.json is not a JSON array"),
        Arguments.of("no image", "[]", null, "manifest.json lists no image"),
        Arguments.of("two images", "[{\"Layers\":[]},{\"Layers\":[]}]", null,
            "manifest.json lists 2 images; an archive can only be published with exactly one image in it"),
        Arguments.of("no Layers", "[{\"Config\":\"c.json\"}]", null, "manifest.json has no Layers list"),
        Arguments.of("Layers not a list", "[{\"Layers\":\"a/layer.tar\"}]", null, "manifest.json has no Layers list"),
        Arguments.of("a layer that is no path", "[{\"Layers\":[7]}]", null,
            "manifest.json lists a layer that is not a path: 7"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("dockerManifests")
  void readsTheDockerManifest(String name, String json, List<String> layers, String error) throws Exception {
    JsonNode images = ImageManifests.parse(json, ImageManifests.DOCKER_MANIFEST);
    if (error != null) {
      assertMessage(error, () -> dockerLayers(images));
    } else {
      assertEquals(layers, dockerLayers(images));
    }
  }

  @Test
  void refusesALayerPathLeavingTheArchive() {
    InvalidSourceException e = assertThrows(InvalidSourceException.class,
        () -> dockerLayers(ImageManifests.parse("[{\"Layers\":[\"../x/layer.tar\"]}]", "manifest.json")));
    assertTrue(e.getMessage().contains("manifest.json"), e.getMessage());
  }

  private static List<String> dockerLayers(JsonNode images) throws InvalidSourceException {
    List<String> paths = new ArrayList<>();
    for (JsonNode entry : ImageManifests.dockerLayerList(images)) {
      paths.add(ImageManifests.dockerLayerPath(entry));
    }
    return paths;
  }

  // --- OCI index.json ---------------------------------------------------------------------------

  private static String descriptor(String digest, String os, String arch) {
    String platform = os == null ? "" : ",\"platform\":{\"os\":\"" + os + "\",\"architecture\":\"" + arch + "\"}";
    return "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"" + digest
        + "\",\"size\":100" + platform + "}";
  }

  private static String attestation(String digest) {
    return "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"" + digest + "\",\"size\":100,"
        + "\"platform\":{\"os\":\"unknown\",\"architecture\":\"unknown\"},"
        + "\"annotations\":{\"vnd.docker.reference.type\":\"attestation-manifest\"}}";
  }

  private static String index(String... descriptors) {
    return "{\"schemaVersion\":2,\"manifests\":[" + String.join(",", descriptors) + "]}";
  }

  static Stream<Arguments> ociIndexes() {
    return Stream.of(
        Arguments.of("single manifest", index(descriptor(ONLY, null, null)), Set.of(ONLY), ONLY, null),
        Arguments.of("single manifest, not checked for presence here", index(descriptor(ONLY, null, null)), Set.of(),
            ONLY, null),
        Arguments.of("several platforms, all present: the first listed",
            index(descriptor(AMD64, "linux", "amd64"), descriptor(ARM64, "linux", "arm64")),
            Set.of(AMD64, ARM64), AMD64, null),
        Arguments.of("several platforms, listed arm64 first: the first listed",
            index(descriptor(ARM64, "linux", "arm64"), descriptor(AMD64, "linux", "amd64")),
            Set.of(AMD64, ARM64), ARM64, null),
        Arguments.of("several platforms, one present: that one",
            index(descriptor(AMD64, "linux", "amd64"), descriptor(ARM64, "linux", "arm64")),
            Set.of(ARM64), ARM64, null),
        Arguments.of("attestations are no images",
            index(attestation(ATTESTATION), descriptor(AMD64, "linux", "amd64")),
            Set.of(ATTESTATION, AMD64), AMD64, null),
        Arguments.of("several platforms, none present",
            index(descriptor(AMD64, "linux", "amd64"), descriptor(ARM64, "linux", "arm64")),
            Set.of(), null, "none of the 2 manifests listed by index.json is in the archive"),
        Arguments.of("only an attestation present",
            index(descriptor(AMD64, "linux", "amd64"), attestation(ATTESTATION)),
            Set.of(ATTESTATION), null, "none of the 2 manifests listed by index.json is in the archive"),
        Arguments.of("several images without platforms",
            index(descriptor(AMD64, null, null), descriptor(ARM64, null, null)), Set.of(AMD64, ARM64), null,
            "index.json lists 2 images; an archive can only be published with exactly one image in it"),
        Arguments.of("no manifests list", "{\"schemaVersion\":2}", Set.of(), null, "index.json has no manifests list"),
        Arguments.of("manifests not a list", "{\"manifests\":{}}", Set.of(), null, "index.json has no manifests list"),
        Arguments.of("empty manifests list", index(), Set.of(), null, "index.json lists no image"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("ociIndexes")
  void choosesTheImageOfTheIndex(String name, String json, Set<String> held, String chosen, String error)
      throws Exception {
    JsonNode index = ImageManifests.parse(json, ImageManifests.OCI_INDEX);
    ImageManifests.Presence presence =
        (descriptor, what) -> held.contains(ImageManifests.digestOf(descriptor, what));
    if (error != null) {
      assertMessage(error, () -> ImageManifests.chooseImage(index, presence));
    } else {
      JsonNode descriptor = ImageManifests.chooseImage(index, presence);
      assertEquals(chosen, ImageManifests.digestOf(descriptor, "the chosen descriptor"));
    }
  }

  @Test
  void aRegistryIndexChoosesTheAskedPlatformOrTheDefault() throws Exception {
    String name = "image r/app:1";
    JsonNode multi = ImageManifests.parse(
        index(attestation(ATTESTATION), descriptor(ARM64, "linux", "arm64"), descriptor(AMD64, "linux", "amd64")), name);
    assertEquals(AMD64, ImageManifests.digestOf(ImageManifests.choosePlatform(multi, name, (String) null), "x"));
    assertEquals(ARM64, ImageManifests.digestOf(ImageManifests.choosePlatform(multi, name, "linux/arm64"), "x"));
    assertMessage("the image has no variant for linux/s390x; " + name + " lists linux/arm64, linux/amd64",
        () -> ImageManifests.choosePlatform(multi, name, "linux/s390x"));
    // Without the default platform, the only image there is; with two, none is guessed.
    JsonNode onlyArm = ImageManifests.parse(index(attestation(ATTESTATION), descriptor(ARM64, "linux", "arm64")), name);
    assertEquals(ARM64, ImageManifests.digestOf(ImageManifests.choosePlatform(onlyArm, name, (String) null), "x"));
    JsonNode noAmd = ImageManifests.parse(index(descriptor(ARM64, "linux", "arm64"), descriptor(ONLY, "linux", "ppc64le")),
        name);
    assertThrows(SourceUnavailableException.class, () -> ImageManifests.choosePlatform(noAmd, name, (String) null));
  }

  @Test
  void aNestedIndexChoosesAPlatformTheSameWay() throws Exception {
    String nestedName = "manifest " + ONLY;
    JsonNode nested = ImageManifests.parse(
        index(attestation(ATTESTATION), descriptor(ARM64, "linux", "arm64"), descriptor(AMD64, "linux", "amd64")),
        nestedName);
    JsonNode chosen = ImageManifests.choosePlatform(nested, nestedName,
        (descriptor, what) -> Set.of(AMD64).contains(ImageManifests.digestOf(descriptor, what)));
    assertEquals(AMD64, ImageManifests.digestOf(chosen, "x"));
    assertMessage("none of the 3 manifests listed by " + nestedName + " is in the archive",
        () -> ImageManifests.choosePlatform(nested, nestedName, (descriptor, what) -> false));
  }

  @Test
  void tellsIndexesFromImageManifests() throws Exception {
    JsonNode plain = ImageManifests.parse("{}", "d");
    JsonNode indexDescriptor = ImageManifests.parse(
        "{\"mediaType\":\"application/vnd.oci.image.index.v1+json\"}", "d");
    JsonNode dockerList = ImageManifests.parse(
        "{\"mediaType\":\"application/vnd.docker.distribution.manifest.list.v2+json\"}", "d");
    JsonNode manifest = ImageManifests.parse("{\"layers\":[]}", "d");
    JsonNode untypedIndex = ImageManifests.parse("{\"manifests\":[]}", "d");
    assertTrue(ImageManifests.isIndex(indexDescriptor, manifest));
    assertTrue(ImageManifests.isIndex(plain, dockerList));
    assertTrue(ImageManifests.isIndex(plain, untypedIndex));
    assertFalse(ImageManifests.isIndex(plain, manifest));
    assertFalse(ImageManifests.isIndex(plain, ImageManifests.parse("{\"manifests\":[],\"layers\":[]}", "d")));
  }

  static Stream<Arguments> imageManifests() {
    return Stream.of(
        Arguments.of("two layers", "{\"layers\":[" + descriptor(AMD64, null, null) + "," + descriptor(ARM64, null, null)
            + "]}", List.of(AMD64, ARM64), null),
        Arguments.of("no layers list", "{\"config\":{}}", null, "manifest m is no image manifest: it has no layers list"),
        Arguments.of("a layer without digest", "{\"layers\":[{\"size\":3}]}", null,
            "a layer descriptor of manifest m has no digest"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("imageManifests")
  void readsTheLayersOfAnImageManifest(String name, String json, List<String> digests, String error)
      throws Exception {
    JsonNode manifest = ImageManifests.parse(json, "manifest m");
    if (error != null) {
      assertMessage(error, () -> layerDigests(manifest));
    } else {
      assertEquals(digests, layerDigests(manifest));
    }
  }

  private static List<String> layerDigests(JsonNode manifest) throws InvalidSourceException {
    List<String> digests = new ArrayList<>();
    for (JsonNode layer : ImageManifests.layersOf(manifest, "manifest m")) {
      digests.add(ImageManifests.digestOf(layer, "a layer descriptor of manifest m"));
    }
    return digests;
  }

  // --- the documents themselves -----------------------------------------------------------------

  @Test
  void refusesDocumentsThatAreNoJsonObjectOrArray() {
    assertMessage("index.json is not a JSON object or array", () -> ImageManifests.parse("42", "index.json"));
    assertMessage("index.json is not a JSON object or array", () -> ImageManifests.parse("", "index.json"));
    InvalidSourceException e = assertThrows(InvalidSourceException.class,
        () -> ImageManifests.parse("{\"manifests\":", "index.json"));
    assertTrue(e.getMessage().startsWith("index.json is not valid JSON: "), e.getMessage());
  }

  @Test
  void refusesADescriptorWithoutDigest() {
    assertMessage("a manifest descriptor has no digest",
        () -> ImageManifests.digestOf(ImageManifests.parse("{\"size\":1}", "d"), "a manifest descriptor"));
    assertMessage("a manifest descriptor has no digest",
        () -> ImageManifests.digestOf(ImageManifests.parse("{\"digest\":7}", "d"), "a manifest descriptor"));
  }

  private interface Failing {
    void run() throws IOException;
  }

  private static void assertMessage(String expected, Failing action) {
    InvalidSourceException e = assertThrows(InvalidSourceException.class, action::run);
    assertEquals(expected, e.getMessage());
  }
}
