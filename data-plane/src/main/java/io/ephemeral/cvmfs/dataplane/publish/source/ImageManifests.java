package io.ephemeral.cvmfs.dataplane.publish.source;

import static io.ephemeral.cvmfs.dataplane.publish.source.EntryPaths.quote;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ephemeral.cvmfs.dataplane.publish.source.LayerFlattening.Layer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * What the documents of an image say: which format an archive is in, which image of an index is
 * the one to publish and which layers make it up. These are functions over parsed JSON; whether a
 * blob is in the archive is asked of the caller, through {@link Presence}, and documents and
 * layers are fetched by the caller, through {@link Blobs}: from an archive's spool or a registry.
 */
final class ImageManifests {

  static final String DOCKER_MANIFEST = "manifest.json";
  static final String OCI_INDEX = "index.json";
  static final int MAX_INDEX_DEPTH = 8;
  /** The platform taken from a multi-platform index when none is asked for. */
  static final String DEFAULT_PLATFORM = "linux/amd64";
  /** Bound on the JSON documents read: manifests and indexes are a few kilobytes. */
  static final long MAX_JSON_BYTES = 4L << 20;

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Set<String> INDEX_MEDIA_TYPES = Set.of(
      "application/vnd.oci.image.index.v1+json",
      "application/vnd.docker.distribution.manifest.list.v2+json");

  /** Whether the archive has a member at a path, asked only when the answer matters. */
  @FunctionalInterface
  interface Archive {
    boolean has(String path) throws InvalidSourceException;
  }

  /** Whether the archive holds the blob a descriptor names; may refuse a descriptor or a blob. */
  @FunctionalInterface
  interface Presence {
    boolean holds(JsonNode descriptor, String what) throws InvalidSourceException;
  }

  /** Where the documents and layers descriptors name come from; each is checked against its descriptor. */
  interface Blobs {
    /** The JSON document (manifest or index) a descriptor names, called {@code name} in messages. */
    JsonNode document(JsonNode descriptor, String name) throws IOException;

    /** The file holding the layer a descriptor names, called {@code name} in messages. */
    Path layer(JsonNode descriptor, String name) throws IOException;
  }

  /** Which image of a multi-platform index to take, the index called {@code name} in messages. */
  @FunctionalInterface
  interface VariantChoice {
    JsonNode choose(JsonNode index, String name) throws IOException;
  }

  private ImageManifests() {}

  /**
   * The layers, lowest first, of the image {@code document} describes, fetched through {@code
   * blobs}: an image manifest lists them; an index leads, through the variant {@code choice}
   * takes, to another document, at most {@link #MAX_INDEX_DEPTH} deep.
   *
   * @param descriptor what led to {@code document} (its media type counts), or an empty object
   */
  static List<Layer> layers(JsonNode descriptor, JsonNode document, String name, Blobs blobs, VariantChoice choice)
      throws IOException {
    for (int depth = 0; isIndex(descriptor, document); depth++) {
      if (depth == MAX_INDEX_DEPTH) {
        throw new InvalidSourceException("image indexes nest more than " + MAX_INDEX_DEPTH + " deep");
      }
      descriptor = choice.choose(document, name);
      name = "manifest " + digestOf(descriptor, "a manifest descriptor of " + name);
      document = blobs.document(descriptor, name);
    }
    List<Layer> layers = new ArrayList<>();
    for (JsonNode layer : layersOf(document, name)) {
      String digest = digestOf(layer, "a layer descriptor of " + name);
      layers.add(new Layer(digest, blobs.layer(layer, "layer " + digest)));
    }
    return layers;
  }

  /**
   * The format to read the archive in: {@code requested} when given, else docker save when the
   * archive has {@code manifest.json} and an OCI layout when it has {@code index.json}.
   */
  static ImageFormat chooseFormat(ImageFormat requested, Archive archive) throws InvalidSourceException {
    if (requested != null) {
      return requested;
    }
    if (archive.has(DOCKER_MANIFEST)) {
      return ImageFormat.DOCKER_ARCHIVE;
    }
    if (archive.has(OCI_INDEX)) {
      return ImageFormat.OCI_ARCHIVE;
    }
    throw new InvalidSourceException("not a container image archive: it has neither " + DOCKER_MANIFEST
        + " nor " + OCI_INDEX);
  }

  /** The refusal of a docker save archive without {@code manifest.json}. */
  static InvalidSourceException noDockerManifest(boolean hasOciIndex) {
    return new InvalidSourceException("not a docker save archive: it has no " + DOCKER_MANIFEST
        + (hasOciIndex ? " (it holds an OCI image layout; read it as an OCI archive)" : ""));
  }

  /** The refusal of an OCI layout without {@code index.json}. */
  static InvalidSourceException noOciIndex(boolean hasDockerManifest) {
    return new InvalidSourceException("not an OCI image layout: it has no " + OCI_INDEX
        + (hasDockerManifest ? " (it holds a docker save archive; read it as one)" : ""));
  }

  /** The layers list of the one image {@code manifest.json} describes. */
  static JsonNode dockerLayerList(JsonNode images) throws InvalidSourceException {
    if (!images.isArray()) {
      throw new InvalidSourceException(DOCKER_MANIFEST + " is not a JSON array");
    }
    if (images.isEmpty()) {
      throw new InvalidSourceException(DOCKER_MANIFEST + " lists no image");
    }
    if (images.size() > 1) {
      throw new InvalidSourceException(DOCKER_MANIFEST + " lists " + images.size()
          + " images; an archive can only be published with exactly one image in it");
    }
    JsonNode paths = images.get(0).get("Layers");
    if (paths == null || !paths.isArray()) {
      throw new InvalidSourceException(DOCKER_MANIFEST + " has no Layers list");
    }
    return paths;
  }

  /** The member path an entry of that list names, normalised. */
  static String dockerLayerPath(JsonNode entry) throws InvalidSourceException {
    if (!entry.isTextual()) {
      throw new InvalidSourceException(DOCKER_MANIFEST + " lists a layer that is not a path: " + entry);
    }
    return EntryPaths.normalize(entry.asText(), "the layer path " + quote(entry.asText()) + " of " + DOCKER_MANIFEST);
  }

  /**
   * The one image of {@code index.json}. Several descriptors are several images, and refused like
   * several images in {@code manifest.json}, unless each names a platform: then they are the
   * variants of one image, as in a nested index.
   */
  static JsonNode chooseImage(JsonNode index, Presence presence) throws InvalidSourceException {
    JsonNode manifests = manifestsOf(index, OCI_INDEX);
    if (manifests.size() == 1) {
      return manifests.get(0);
    }
    for (JsonNode descriptor : manifests) {
      if (!descriptor.path("platform").isObject()) {
        throw new InvalidSourceException(OCI_INDEX + " lists " + manifests.size()
            + " images; an archive can only be published with exactly one image in it");
      }
    }
    return choosePlatform(index, OCI_INDEX, presence);
  }

  /**
   * The first variant of a multi-platform index that the archive holds. {@code docker save} keeps
   * the index of every platform but the blobs of the local one only. Attestations are no images.
   */
  static JsonNode choosePlatform(JsonNode index, String name, Presence presence) throws InvalidSourceException {
    JsonNode manifests = manifestsOf(index, name);
    for (JsonNode descriptor : manifests) {
      if (!isAttestation(descriptor) && presence.holds(descriptor, "a manifest descriptor of " + name)) {
        return descriptor;
      }
    }
    throw new InvalidSourceException("none of the " + manifests.size() + " manifests listed by " + name
        + " is in the archive");
  }

  /**
   * The variant of a multi-platform index for {@code platform} ({@code os/architecture} or
   * {@code os/architecture/variant}); when {@code null}, the one for {@link #DEFAULT_PLATFORM},
   * or else the only image the index lists. Attestations are no images.
   */
  static JsonNode choosePlatform(JsonNode index, String name, String platform) throws InvalidSourceException {
    List<JsonNode> images = new ArrayList<>();
    for (JsonNode descriptor : manifestsOf(index, name)) {
      if (!isAttestation(descriptor)) {
        images.add(descriptor);
      }
    }
    String wanted = platform != null ? platform : DEFAULT_PLATFORM;
    for (JsonNode descriptor : images) {
      if (platformOf(descriptor).equals(wanted) || platformOf(descriptor).startsWith(wanted + "/")) {
        return descriptor;
      }
    }
    if (platform == null && images.size() == 1) {
      return images.get(0);
    }
    throw new SourceUnavailableException("the image has no variant for " + wanted + "; " + name + " lists "
        + String.join(", ", images.stream().map(ImageManifests::platformOf).toList()));
  }

  /** {@code os/architecture}, with {@code /variant} when the descriptor names one. */
  private static String platformOf(JsonNode descriptor) {
    JsonNode platform = descriptor.path("platform");
    String variant = platform.path("variant").asText();
    return platform.path("os").asText() + "/" + platform.path("architecture").asText()
        + (variant.isEmpty() ? "" : "/" + variant);
  }

  private static boolean isAttestation(JsonNode descriptor) {
    String reference = descriptor.path("annotations").path("vnd.docker.reference.type").asText();
    return reference.equals("attestation-manifest") || descriptor.path("platform").path("os").asText().equals("unknown");
  }

  /** Whether the document a descriptor led to is an index rather than an image manifest. */
  static boolean isIndex(JsonNode descriptor, JsonNode document) {
    return INDEX_MEDIA_TYPES.contains(descriptor.path("mediaType").asText())
        || INDEX_MEDIA_TYPES.contains(document.path("mediaType").asText())
        || (document.has("manifests") && !document.has("layers"));
  }

  /** The layer descriptors of an image manifest, named {@code name} in messages. */
  static JsonNode layersOf(JsonNode manifest, String name) throws InvalidSourceException {
    JsonNode layers = manifest.get("layers");
    if (layers == null || !layers.isArray()) {
      throw new InvalidSourceException(name + " is no image manifest: it has no layers list");
    }
    return layers;
  }

  static String digestOf(JsonNode descriptor, String what) throws InvalidSourceException {
    JsonNode digest = descriptor.get("digest");
    if (!descriptor.isObject() || digest == null || !digest.isTextual()) {
      throw new InvalidSourceException(what + " has no digest");
    }
    return digest.asText();
  }

  /** Reads the JSON document spooled to {@code file}, held to {@link #MAX_JSON_BYTES}. */
  static JsonNode read(Path file, long size, String name) throws IOException {
    if (size > MAX_JSON_BYTES) {
      throw new InvalidSourceException(name + " is larger than the limit of " + MAX_JSON_BYTES + " bytes");
    }
    return document(() -> JSON.readTree(file.toFile()), name);
  }

  /** Parses a JSON document given as text, as {@link #read} does a spooled one. */
  static JsonNode parse(String json, String name) throws IOException {
    return document(() -> JSON.readTree(json), name);
  }

  private static JsonNode document(JsonReader reader, String name) throws IOException {
    JsonNode node;
    try {
      node = reader.read();
    } catch (JsonProcessingException e) {
      throw new InvalidSourceException(name + " is not valid JSON: " + e.getOriginalMessage(), e);
    }
    if (node == null || !(node.isObject() || node.isArray())) {
      throw new InvalidSourceException(name + " is not a JSON object or array");
    }
    return node;
  }

  @FunctionalInterface
  private interface JsonReader {
    JsonNode read() throws IOException;
  }

  private static JsonNode manifestsOf(JsonNode index, String name) throws InvalidSourceException {
    JsonNode manifests = index.get("manifests");
    if (manifests == null || !manifests.isArray()) {
      throw new InvalidSourceException(name + " has no manifests list");
    }
    if (manifests.isEmpty()) {
      throw new InvalidSourceException(name + " lists no image");
    }
    return manifests;
  }
}
