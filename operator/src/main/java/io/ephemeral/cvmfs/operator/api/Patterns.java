package io.ephemeral.cvmfs.operator.api;

/** Schema patterns, in the RE2 syntax the API server checks them with. */
public final class Patterns {

  /** Dot-separated DNS labels, at least two, as CVMFS repository names are. */
  public static final String FQRN = "^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)+$";

  /** Seconds, or a number with s, m, h or d. */
  public static final String DURATION = "^[0-9]{1,9}[smhd]?$";

  /** Bytes, or a number with KiB, MiB, GiB or TiB. */
  public static final String BYTES = "^[0-9]{1,15}(KiB|MiB|GiB|TiB)?$";

  /**
   * A relative path of names that do not start with a dot, so neither "." nor ".." can occur.
   * The lengths of its names and its depth are checked by CEL rules: RE2 refuses nested
   * repetitions whose counts multiply past 1000.
   */
  public static final String PATH = "^[A-Za-z0-9_+@=,-][A-Za-z0-9._+@=,-]*(/[A-Za-z0-9_+@=,-][A-Za-z0-9._+@=,-]*)*$";

  /** The longest name in a path, in bytes, as CVMFS and Linux allow. */
  public static final int MAX_PATH_NAME = 255;

  /** The most names in a publication's path. */
  public static final int MAX_PATH_DEPTH = 64;

  /** The longest publication path, Linux's PATH_MAX. */
  public static final int MAX_PATH_LENGTH = 4096;

  /** A Kubernetes object name of the kinds that take DNS subdomains, as CvmfsRepository does. */
  public static final String NAME = "^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$";

  public static final int MAX_NAME = 253;

  /** A namespace name: a DNS label. */
  public static final String NAMESPACE = "^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$";

  public static final String SHA256 = "^[0-9a-f]{64}$";
  /** A repository tag: as the data plane takes it (cvmfs_server's own names are refused there). */
  public static final String TAG = "^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$";

  public static final String HTTP_URL = "^https?://.+$";

  /** An S3 bucket name, as S3 allows it for new buckets. */
  public static final String BUCKET = "^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$";

  /**
   * A key prefix in a bucket: names of the characters S3 calls safe, joined by single slashes, as
   * the data plane takes it (a CEL rule refuses "..", which RE2 cannot say without lookahead).
   */
  public static final String KEY_PREFIX = "^[A-Za-z0-9!_.*'()-]+(/[A-Za-z0-9!_.*'()-]+)*/?$";

  /** Room in S3's 1024-byte keys for the repository's own paths below the prefix. */
  public static final int MAX_KEY_PREFIX = 512;

  /**
   * An image reference, roughly: an optional http:// or https://, then names, an optional tag and
   * an optional digest; the data plane checks it exactly.
   */
  public static final String IMAGE = "^(https?://)?[A-Za-z0-9][A-Za-z0-9._:/\\[\\]-]*(@sha256:[a-f0-9]{64})?$";

  /** os/architecture or os/architecture/variant, e.g. linux/arm64. */
  public static final String PLATFORM = "^[a-z0-9]+/[a-z0-9_]+(/[a-z0-9]+)?$";

  /** Five cron fields, or a macro such as @daily. */
  public static final String CRON = "^(@(yearly|annually|monthly|weekly|daily|midnight|hourly)|(\\S+\\s+){4}\\S+)$";

  private Patterns() {
  }
}
