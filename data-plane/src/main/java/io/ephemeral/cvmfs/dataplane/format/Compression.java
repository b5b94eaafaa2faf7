package io.ephemeral.cvmfs.dataplane.format;

import java.util.Locale;

/** Object compression (format.md 2.1, 2.3) and its catalog flags bits 11-13. */
public enum Compression {
  ZLIB(0),
  NONE(0x800);

  private final int catalogFlags;

  Compression(int catalogFlags) {
    this.catalogFlags = catalogFlags;
  }

  public int catalogFlags() {
    return catalogFlags;
  }

  public String configName() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static Compression fromCatalogFlags(int flags) {
    return ((flags >> 11) & 0x7) == 1 ? NONE : ZLIB;
  }

  public static Compression fromConfigName(String name) {
    for (Compression compression : values()) {
      if (compression.configName().equals(name.toLowerCase(Locale.ROOT))) {
        return compression;
      }
    }
    throw new IllegalArgumentException("unknown compression '" + name + "' (expected zlib or none)");
  }
}
