package io.ephemeral.cvmfs.dataplane.format;

/** Bits of the catalog {@code flags} column (format.md 7.7). */
public final class EntryFlags {
  public static final int DIRECTORY = 0x1;
  public static final int NESTED_MOUNTPOINT = 0x2;
  public static final int FILE = 0x4;
  public static final int LINK = 0x8;
  public static final int SPECIAL = 0x10;
  public static final int NESTED_ROOT = 0x20;
  public static final int CHUNKED = 0x40;
  public static final int EXTERNAL = 0x80;

  private EntryFlags() {}
}
