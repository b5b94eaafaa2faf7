package io.ephemeral.cvmfs.common.format;

/** The roles of stored objects and the suffix each adds to the object name (format.md 1.3). */
public enum ObjectKind {
  FILE(""),
  CHUNK("P"),
  CATALOG("C"),
  HISTORY("H"),
  CERTIFICATE("X"),
  METAINFO("M");

  private final String suffix;

  ObjectKind(String suffix) {
    this.suffix = suffix;
  }

  public String suffix() {
    return suffix;
  }

  /** Catalogs, certificates, history and meta-info are zlib-compressed whatever the repository says. */
  public boolean alwaysCompressed() {
    return this != FILE && this != CHUNK;
  }
}
