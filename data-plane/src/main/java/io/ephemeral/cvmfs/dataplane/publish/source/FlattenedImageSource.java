package io.ephemeral.cvmfs.dataplane.publish.source;

import io.ephemeral.cvmfs.dataplane.publish.source.ArchiveSource.Limits;
import io.ephemeral.cvmfs.dataplane.publish.source.LayerFlattening.Layer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * An image whose layers are spooled to a private directory below a scratch directory, then
 * handed out as one tree by {@link LayerFlattening}, once; the directory is removed when the walk
 * ends, however it ends. Where the layers come from is the subclass's part.
 */
public abstract sealed class FlattenedImageSource implements TreeSource
    permits ImageArchiveSource, RegistryImageSource {

  private final Path scratch;
  private final Limits limits;
  private final String what;
  private long skippedSpecialFiles;
  private boolean walked;

  /** @param what how messages name the image, e.g. {@code an image archive} */
  FlattenedImageSource(Path scratch, Limits limits, String what) {
    this.scratch = Objects.requireNonNull(scratch, "scratch");
    this.limits = Objects.requireNonNull(limits, "limits");
    this.what = what;
  }

  /** The bounds on the flattened tree. */
  final Limits limits() {
    return limits;
  }

  /**
   * How many devices and FIFOs of the flattened tree were left out; those that upper layers hide
   * do not count. Complete once {@link #walk} returned.
   */
  public final long skippedSpecialFiles() {
    return skippedSpecialFiles;
  }

  @Override
  public final void walk(TreeVisitor visitor) throws IOException {
    Objects.requireNonNull(visitor, "visitor");
    if (walked) {
      throw new IllegalStateException(what + " can only be walked once");
    }
    walked = true;
    skippedSpecialFiles = LayerFlattening.flatten(scratch, this::spool, visitor, limits);
  }

  /** Brings the image's layers into {@code spool}, a directory of this walk's own, and lists them, lowest first. */
  abstract List<Layer> spool(Path spool) throws IOException;
}
