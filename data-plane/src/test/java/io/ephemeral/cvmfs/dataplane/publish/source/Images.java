package io.ephemeral.cvmfs.dataplane.publish.source;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ephemeral.cvmfs.dataplane.testsupport.Tars;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/** Builds container image archives in memory for the tests, the way docker and OCI tools lay them out. */
final class Images {

  static final ObjectMapper JSON = new ObjectMapper();
  static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
  static final String OCI_INDEX = "application/vnd.oci.image.index.v1+json";
  static final String OCI_CONFIG = "application/vnd.oci.image.config.v1+json";

  private Images() {}

  static String sha256(byte[] data) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  static byte[] json(Object node) {
    try {
      return JSON.writeValueAsBytes(node);
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** What {@code docker save} writes for one image: a directory per layer, manifest.json last. */
  static byte[] dockerSave(byte[]... layers) {
    Tars outer = Tars.tar();
    List<String> paths = dockerLayers(outer, layers);
    return outer.file("manifest.json", dockerManifest(paths)).bytes();
  }

  /** Adds the layers as old Docker stores them and returns their paths. */
  static List<String> dockerLayers(Tars outer, byte[]... layers) {
    List<String> paths = new ArrayList<>();
    for (int i = 0; i < layers.length; i++) {
      String id = sha256(("layer " + i).getBytes(StandardCharsets.UTF_8));
      outer.dir(id + "/").file(id + "/VERSION", "1.0").file(id + "/layer.tar", layers[i], 0644);
      paths.add(id + "/layer.tar");
    }
    outer.file("config.json", "{\"architecture\":\"amd64\",\"os\":\"linux\"}");
    return paths;
  }

  static String dockerManifest(List<String> layerPaths) {
    ArrayNode images = JSON.createArrayNode();
    ObjectNode image = images.addObject().put("Config", "config.json");
    image.putArray("RepoTags").add("example:latest");
    ArrayNode layers = image.putArray("Layers");
    layerPaths.forEach(layers::add);
    return new String(json(images), StandardCharsets.UTF_8);
  }

  /** An OCI layout under construction: blobs are added by content, descriptors come back. */
  static final class Oci {
    final Tars outer = Tars.tar();

    Oci() {
      outer.file("oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}").dir("blobs/").dir("blobs/sha256/");
    }

    ObjectNode blob(String mediaType, byte[] content) {
      outer.file("blobs/sha256/" + sha256(content), content, 0644);
      return descriptor(mediaType, content);
    }

    static ObjectNode descriptor(String mediaType, byte[] content) {
      return JSON.createObjectNode()
          .put("mediaType", mediaType)
          .put("digest", "sha256:" + sha256(content))
          .put("size", content.length);
    }

    static byte[] manifest(ObjectNode config, List<ObjectNode> layers) {
      ObjectNode manifest = JSON.createObjectNode().put("schemaVersion", 2).put("mediaType", OCI_MANIFEST);
      manifest.set("config", config);
      manifest.putArray("layers").addAll(layers);
      return json(manifest);
    }

    ObjectNode image(List<ObjectNode> layers) {
      ObjectNode config = blob(OCI_CONFIG, "{\"architecture\":\"amd64\",\"os\":\"linux\"}".getBytes(StandardCharsets.UTF_8));
      return blob(OCI_MANIFEST, manifest(config, layers));
    }

    static byte[] index(List<ObjectNode> manifests) {
      ObjectNode index = JSON.createObjectNode().put("schemaVersion", 2).put("mediaType", OCI_INDEX);
      index.putArray("manifests").addAll(manifests);
      return json(index);
    }

    byte[] finish(List<ObjectNode> manifests) {
      return outer.file("index.json", index(manifests), 0644).bytes();
    }
  }

  static ObjectNode platform(ObjectNode descriptor, String os, String architecture) {
    descriptor.putObject("platform").put("os", os).put("architecture", architecture);
    return descriptor;
  }
}
