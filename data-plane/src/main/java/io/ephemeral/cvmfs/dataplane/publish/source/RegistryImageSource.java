package io.ephemeral.cvmfs.dataplane.publish.source;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.ephemeral.cvmfs.common.publish.ImageReference;
import io.ephemeral.cvmfs.dataplane.publish.source.ArchiveSource.Limits;
import io.ephemeral.cvmfs.dataplane.publish.source.LayerFlattening.Layer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * The root file system of an image pulled from a registry over the OCI distribution API: the
 * manifest its reference names (for a multi-platform index, the variant of the platform asked
 * for), then its layers, each downloaded to a private directory below the scratch directory and
 * checked against its digest while it arrives, then flattened as {@link ImageArchiveSource}
 * flattens the layers of an archive. The blobs downloaded are held to a byte limit; the tree to the
 * {@link Limits}. The spool is removed when the walk ends, however it ends. A source can be walked
 * once.
 */
public final class RegistryImageSource extends FlattenedImageSource {

  private final ImageReference image;
  private final String platform;
  private final RegistryClient.Credentials credentials;
  private final long maxBlobBytes;
  private Duration backoff = Duration.ofMillis(500);
  private long received;

  /**
   * @param platform {@code os/architecture[/variant]} to take from a multi-platform index, or
   *     {@code null} for linux/amd64 or else the only image listed
   * @param username with {@code password}, the credentials for the registry; {@code null} for none
   * @param maxBlobBytes most bytes of blobs (layers as the registry stores them) to download
   */
  public RegistryImageSource(ImageReference image, String platform, String username, String password, Path scratch,
      Limits limits, long maxBlobBytes) {
    super(scratch, limits, "a registry image");
    this.image = Objects.requireNonNull(image, "image");
    this.platform = platform;
    this.credentials = username == null ? null : new RegistryClient.Credentials(username, password == null ? "" : password);
    this.maxBlobBytes = maxBlobBytes;
  }

  /** The pause before the first retry of a transient failure; it doubles with each. */
  public RegistryImageSource withBackoff(Duration backoff) {
    this.backoff = backoff;
    return this;
  }

  /** Bytes of layers downloaded so far (a failed attempt at a blob not counted). */
  public long received() {
    return received;
  }

  @Override
  List<Layer> spool(Path spool) throws IOException {
    RegistryClient client = new RegistryClient(image, credentials, backoff);
    String name = "image " + image;
    RegistryClient.Document root = client.manifest(image.reference(), image.digest(), name);
    ImageManifests.Blobs blobs = new ImageManifests.Blobs() {
      @Override
      public JsonNode document(JsonNode descriptor, String documentName) throws IOException {
        String digest = ImageManifests.digestOf(descriptor, documentName);
        return client.manifest(digest, digest, documentName).json();
      }

      @Override
      public Path layer(JsonNode descriptor, String layerName) throws IOException {
        Path file = Files.createTempFile(spool, "layer-", ".blob");
        client.blob(descriptor, file, layerName, RegistryImageSource.this::count);
        return file;
      }
    };
    JsonNode descriptor = JsonNodeFactory.instance.objectNode().put("mediaType", root.mediaType());
    return ImageManifests.layers(descriptor, root.json(), name, blobs,
        (index, indexName) -> ImageManifests.choosePlatform(index, indexName, platform));
  }

  /** Counts the layers' bytes against {@link #maxBlobBytes}. */
  private void count(long bytes) throws LimitExceededException {
    received += bytes;
    if (received > maxBlobBytes) {
      throw new LimitExceededException("image " + image + ": its layers hold more than the limit of "
          + maxBlobBytes + " bytes");
    }
  }
}
