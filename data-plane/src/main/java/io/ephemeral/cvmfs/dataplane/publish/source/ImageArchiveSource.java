package io.ephemeral.cvmfs.dataplane.publish.source;

import static io.ephemeral.cvmfs.dataplane.publish.source.EntryPaths.quote;
import static io.ephemeral.cvmfs.dataplane.publish.source.ImageManifests.DOCKER_MANIFEST;
import static io.ephemeral.cvmfs.dataplane.publish.source.ImageManifests.OCI_INDEX;

import com.fasterxml.jackson.databind.JsonNode;
import io.ephemeral.cvmfs.dataplane.publish.source.ArchiveSource.Limits;
import io.ephemeral.cvmfs.dataplane.publish.source.ImageMembers.Blob;
import io.ephemeral.cvmfs.dataplane.publish.source.LayerFlattening.Layer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * Reads a container image archive and hands out the root file system of the image: its layers
 * applied in order, whiteouts included, as one tree.
 *
 * <p>The archive is read once, as a stream. Its members come in any order, and the file that lists
 * the layers often comes last, so every member is first spooled to a private directory below the
 * scratch directory given here; the directory is removed when the walk ends, however it ends. No
 * member is held in memory, except the small JSON documents; what the walk keeps is the set of
 * paths decided so far. Blobs stored under {@code blobs/<algorithm>/<digest>} are checked against
 * their name while they are spooled, and every blob reached through a descriptor is checked
 * against the descriptor.
 *
 * <p>The layers are then read from the uppermost to the lowest, each once (plus a partial second
 * read where hard links need the content of hidden files), and an entry is handed out only when no
 * upper layer decided its path: replaced it, whited it out ({@code .wh.<name>}), made a directory
 * above it opaque ({@code .wh..wh..opq}) or put a non-directory above it. The result is what
 * extracting the layers in order would leave, with one ordering difference the consumer has to
 * accept: a directory of a lower layer may come after entries beneath it, and a later directory
 * entry for a path must replace the implied parent directory (last entry wins, as for plain
 * archives). Where a directory is in several layers, the uppermost entry's metadata wins and the
 * children of all of them merge.
 *
 * <p>Devices and FIFOs, which images commonly carry under {@code /dev}, are left out and counted
 * in {@link #skippedSpecialFiles()}; they still hide what lower layers held at their path. A hard
 * link whose target an upper layer replaced or hid becomes a copy of the target's content in its
 * own layer. Hard links whose target is in another layer are refused: container tools write a
 * layer that adds a link to a lower file with the file in it too, so they do not make such links.
 *
 * <p>The {@link Limits} bound the flattened tree. What upper layers replace or delete is still
 * read and decompressed, so it is bounded too, by a budget of its own of the same size: a small
 * layer cannot make the walk expand a huge hidden file, nor can a layer listed many times. The
 * caller keeps ownership of the input stream and closes it. A source can be walked once.
 *
 * <p>The stages: {@link ImageMembers} spools the archive, {@link ImageManifests} reads which layers
 * make up the image, and {@link LayerFlattening} applies them.
 */
public final class ImageArchiveSource extends FlattenedImageSource {

  private final InputStream in;
  private final ImageFormat format;
  private LongSupplier received = () -> Long.MAX_VALUE;
  private long maxExpansionRatio = Long.MAX_VALUE;

  /** {@link #ImageArchiveSource(InputStream, ImageFormat, Path, Limits)} with {@link Limits#DEFAULT}. */
  public ImageArchiveSource(InputStream in, ImageFormat format, Path scratch) {
    this(in, format, scratch, Limits.DEFAULT);
  }

  /**
   * Prepares to read an image archive, plain tar or compressed with gzip or zstd, from {@code in}.
   *
   * @param format how the archive describes its image, or {@code null} to use {@code manifest.json}
   *     when there is one and {@code index.json} otherwise. Newer Docker writes both, and either
   *     format reads such an archive.
   * @param scratch where the members are spooled while the archive is read: a directory on a disk
   *     with room for the whole image
   */
  public ImageArchiveSource(InputStream in, ImageFormat format, Path scratch, Limits limits) {
    super(scratch, limits, "an image archive");
    this.in = Objects.requireNonNull(in, "in");
    this.format = format;
  }

  /**
   * Bounds what the spool may hold by what was received: at most {@code maxExpansionRatio} bytes
   * written per byte read from the input (past a first MiB), as {@code received} counts them.
   */
  public void boundSpool(LongSupplier received, long maxExpansionRatio) {
    this.received = Objects.requireNonNull(received, "received");
    this.maxExpansionRatio = maxExpansionRatio;
  }

  @Override
  List<Layer> spool(Path spool) throws IOException {
    ImageMembers members = ImageMembers.spool(in, spool, limits(), received, maxExpansionRatio);
    return switch (ImageManifests.chooseFormat(format, path -> members.find(path) != null)) {
      case DOCKER_ARCHIVE -> dockerLayers(members);
      case OCI_ARCHIVE -> ociLayers(members);
    };
  }

  private static List<Layer> dockerLayers(ImageMembers members) throws IOException {
    Blob manifest = members.find(DOCKER_MANIFEST);
    if (manifest == null) {
      throw ImageManifests.noDockerManifest(members.find(OCI_INDEX) != null);
    }
    JsonNode images = ImageManifests.read(manifest.file(), manifest.size(), DOCKER_MANIFEST);
    List<Layer> layers = new ArrayList<>();
    for (JsonNode entry : ImageManifests.dockerLayerList(images)) {
      String path = ImageManifests.dockerLayerPath(entry);
      layers.add(new Layer(quote(path), members.layer(path, DOCKER_MANIFEST).file()));
    }
    return layers;
  }

  private static List<Layer> ociLayers(ImageMembers members) throws IOException {
    Blob indexBlob = members.find(OCI_INDEX);
    if (indexBlob == null) {
      throw ImageManifests.noOciIndex(members.find(DOCKER_MANIFEST) != null);
    }
    ImageManifests.Presence presence = (descriptor, what) -> members.findBlob(descriptor, what) != null;
    ImageManifests.Blobs blobs = new ImageManifests.Blobs() {
      @Override
      public JsonNode document(JsonNode descriptor, String name) throws IOException {
        Blob blob = members.blob(descriptor, name);
        return ImageManifests.read(blob.file(), blob.size(), name);
      }

      @Override
      public Path layer(JsonNode descriptor, String name) throws IOException {
        return members.blob(descriptor, name).file();
      }
    };
    JsonNode index = ImageManifests.read(indexBlob.file(), indexBlob.size(), OCI_INDEX);
    JsonNode descriptor = ImageManifests.chooseImage(index, presence);
    String name = "manifest " + ImageManifests.digestOf(descriptor, "a manifest descriptor");
    return ImageManifests.layers(descriptor, blobs.document(descriptor, name), name, blobs,
        (nested, nestedName) -> ImageManifests.choosePlatform(nested, nestedName, presence));
  }
}
