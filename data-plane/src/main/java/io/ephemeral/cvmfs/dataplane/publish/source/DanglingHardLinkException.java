package io.ephemeral.cvmfs.dataplane.publish.source;

/**
 * A hard link whose target is no earlier regular file of the same archive. A separate type so
 * that a reader combining several archives can say which archives the link should have spanned.
 */
final class DanglingHardLinkException extends InvalidSourceException {

  private final String path;
  private final String target;

  DanglingHardLinkException(String path, String target, String message) {
    super(message);
    this.path = path;
    this.target = target;
  }

  /** The normalised path of the link. */
  String path() {
    return path;
  }

  /** The normalised path the link points to. */
  String target() {
    return target;
  }
}
