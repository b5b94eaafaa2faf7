package io.ephemeral.cvmfs.dataplane.storage;

import java.net.URI;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Where repositories live in S3-compatible object storage: a bucket and a key prefix under which
 * the bucket holds what a data directory holds, {@code <prefix>/<fqrn>/} laid out exactly as a
 * stratum 0 serves it and {@code <prefix>/state/<fqrn>/} with the data plane's own state.
 * Credentials come from the AWS SDK's default chain: the environment, a mounted credentials
 * file, a web-identity token (IRSA) or the instance's role.
 *
 * @param endpoint the S3 API endpoint, or {@code null} for AWS's own for the region
 * @param region the region to sign for, or {@code null} for the SDK's default lookup
 *     ({@code us-east-1} when an endpoint is given and nothing else says)
 * @param pathStyle address buckets as {@code endpoint/bucket/key} rather than {@code bucket.endpoint/key}
 * @param publicRead upload what clients read with the canned ACL {@code public-read}, as
 *     cvmfs_server's S3 uploader does, for stores that grant anonymous reads per object (MinIO,
 *     Ceph RGW); leave it off where a bucket policy grants them (AWS buckets refuse ACLs by default)
 */
public record S3Settings(String bucket, String prefix, URI endpoint, String region, boolean pathStyle,
    boolean publicRead) {

  // S3's own rule for bucket names (lower case, digits, dots and hyphens, 3 to 63 characters).
  private static final Pattern BUCKET = Pattern.compile("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]");

  public S3Settings {
    Objects.requireNonNull(bucket, "bucket");
    if (!BUCKET.matcher(bucket).matches()) {
      throw new IllegalArgumentException("not a valid S3 bucket name: " + bucket);
    }
    prefix = prefix == null ? "" : trimSlashes(prefix);
    if (prefix.contains("//") || prefix.contains("..")) {
      throw new IllegalArgumentException("the key prefix must not contain // or ..: " + prefix);
    }
    if (endpoint != null && !("http".equals(endpoint.getScheme()) || "https".equals(endpoint.getScheme()))) {
      throw new IllegalArgumentException("the S3 endpoint must be an http or https URL: " + endpoint);
    }
  }

  /** Parses {@code s3://bucket[/prefix]}. */
  public static S3Settings parse(String url, URI endpoint, String region, boolean pathStyle, boolean publicRead) {
    if (url == null || !url.startsWith("s3://")) {
      throw new IllegalArgumentException("object storage is named s3://BUCKET[/PREFIX], not " + url);
    }
    String rest = url.substring("s3://".length());
    int slash = rest.indexOf('/');
    return new S3Settings(slash < 0 ? rest : rest.substring(0, slash), slash < 0 ? "" : rest.substring(slash + 1),
        endpoint, region, pathStyle, publicRead);
  }

  /** The key of {@code relative} (a path as in a data directory) in the bucket. */
  public String key(String relative) {
    return prefix.isEmpty() ? relative : prefix + "/" + relative;
  }

  /** The URL this names, for messages. */
  public String url() {
    return "s3://" + bucket + (prefix.isEmpty() ? "" : "/" + prefix);
  }

  private static String trimSlashes(String value) {
    int start = 0;
    int end = value.length();
    while (start < end && value.charAt(start) == '/') {
      start++;
    }
    while (end > start && value.charAt(end - 1) == '/') {
      end--;
    }
    return value.substring(start, end);
  }
}
