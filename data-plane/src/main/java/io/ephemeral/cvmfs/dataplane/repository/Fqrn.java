package io.ephemeral.cvmfs.dataplane.repository;

import java.util.regex.Pattern;

/** Repository names: fully qualified, DNS-like, as CVMFS uses them in URLs and key file names. */
public final class Fqrn {

  private static final Pattern VALID =
      Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+");

  private Fqrn() {}

  /** Returns {@code name} if it is a valid repository name, else throws with the reason. */
  public static String require(String name) {
    if (name == null || name.length() > 253 || !VALID.matcher(name).matches()) {
      throw new IllegalArgumentException("invalid repository name '" + name
          + "': expected a fully qualified lowercase name such as repo.example.org");
    }
    return name;
  }
}
