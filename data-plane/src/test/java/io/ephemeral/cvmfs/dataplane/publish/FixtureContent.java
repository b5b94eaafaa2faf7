package io.ephemeral.cvmfs.dataplane.publish;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.LinkedHashMap;
import java.util.Map;

/** Regenerates the content of the reference fixture from the description in its README. */
final class FixtureContent {

  static final int SIZE = 20 * 1024 * 1024;

  private FixtureContent() {}

  /** The small regular files of the fixture, by path. */
  static Map<String, byte[]> smallFiles() {
    Map<String, byte[]> files = new LinkedHashMap<>();
    files.put("hello.txt", "Hello, CernVM-FS!\n".getBytes(StandardCharsets.US_ASCII));
    files.put("empty.txt", new byte[0]);
    files.put("dir/note.txt", "A plain file in a plain directory.\n".getBytes(StandardCharsets.US_ASCII));
    files.put("bin/hello.sh", "#!/bin/sh\necho hello\n".getBytes(StandardCharsets.US_ASCII));
    files.put("nested/inside.txt", "This file lives in the nested catalog /nested.\n".getBytes(StandardCharsets.US_ASCII));
    files.put("nested/deeper/leaf.txt", "leaf\n".getBytes(StandardCharsets.US_ASCII));
    return files;
  }

  /** One of the two 20 MiB files; {@code withMarkers} places the xor32 cut windows at 7 and 14 MiB. */
  static byte[] bigFile(String path, boolean withMarkers) {
    byte[] data = new byte[SIZE];
    MessageDigest sha256;
    try {
      sha256 = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    byte[] block = new byte[1024];
    for (int segment = 0; segment < 320; segment++) {
      for (int j = 0; j < 32; j++) {
        byte[] digest = sha256.digest((path + ":" + segment + ":" + j).getBytes(StandardCharsets.US_ASCII));
        System.arraycopy(digest, 0, block, j * 32, 32);
      }
      for (int repeat = 0; repeat < 64; repeat++) {
        System.arraycopy(block, 0, data, segment * 65536 + repeat * 1024, 1024);
      }
    }
    if (withMarkers) {
      for (int end : new int[] {7 << 20, 14 << 20}) {
        data[end - 32] = 0;
        for (int i = end - 31; i < end; i++) {
          data[i] = 1;
        }
      }
    }
    return data;
  }
}
