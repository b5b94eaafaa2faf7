package io.ephemeral.cvmfs.dataplane.cli;

import io.ephemeral.cvmfs.common.publish.Ttl;
import io.ephemeral.cvmfs.dataplane.storage.S3Settings;
import io.ephemeral.cvmfs.dataplane.storage.StorageConfig;
import java.net.URI;
import picocli.CommandLine.Option;

/** Where the repositories are kept: the data directory, or a bucket of S3-compatible object storage. */
final class StorageOptions {

  @Option(names = "--storage", paramLabel = "local|s3://BUCKET[/PREFIX]", defaultValue = "${env:CVMFS_EPHEMERAL_STORAGE:-local}",
      description = "Keep the repositories in the data directory (local), or in a bucket: objects, top-level files and"
          + " state under the prefix, laid out as a stratum 0 serves them; the data directory is then scratch space"
          + " (env CVMFS_EPHEMERAL_STORAGE; default ${DEFAULT-VALUE}). Credentials come from the AWS SDK's default"
          + " chain: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_SHARED_CREDENTIALS_FILE, a web-identity token.")
  String storage;

  @Option(names = "--s3-endpoint", paramLabel = "URL", defaultValue = "${env:CVMFS_EPHEMERAL_S3_ENDPOINT}",
      description = "S3 API endpoint, e.g. http://minio:9000 (env CVMFS_EPHEMERAL_S3_ENDPOINT; default AWS's own).")
  URI endpoint;

  @Option(names = "--s3-region", defaultValue = "${env:CVMFS_EPHEMERAL_S3_REGION}",
      description = "Region to sign requests for (env CVMFS_EPHEMERAL_S3_REGION; default AWS_REGION, or us-east-1"
          + " with an endpoint).")
  String region;

  @Option(names = "--s3-path-style", defaultValue = "${env:CVMFS_EPHEMERAL_S3_PATH_STYLE:-false}",
      description = "Address the bucket as ENDPOINT/BUCKET rather than BUCKET.ENDPOINT, as MinIO and Ceph RGW usually"
          + " need (env CVMFS_EPHEMERAL_S3_PATH_STYLE; default ${DEFAULT-VALUE}).")
  boolean pathStyle;

  @Option(names = "--s3-public-read", defaultValue = "${env:CVMFS_EPHEMERAL_S3_PUBLIC_READ:-false}",
      description = "Upload objects and top-level files with the canned ACL public-read, so that clients can mount"
          + " straight from the bucket where the store grants reads per object (MinIO, Ceph RGW); AWS buckets"
          + " refuse ACLs by default and use a bucket policy instead (env CVMFS_EPHEMERAL_S3_PUBLIC_READ; default"
          + " ${DEFAULT-VALUE}).")
  boolean publicRead;

  @Option(names = "--s3-lease-term", defaultValue = "${env:CVMFS_EPHEMERAL_S3_LEASE_TERM:-30s}",
      description = "How long the writer lease in the bucket lasts unrenewed: the longest a successor waits after a"
          + " writer died (env CVMFS_EPHEMERAL_S3_LEASE_TERM; default ${DEFAULT-VALUE}).")
  String leaseTerm;

  @Option(names = "--advertise-url", paramLabel = "URL", defaultValue = "${env:CVMFS_EPHEMERAL_ADVERTISE_URL}",
      description = "Where the other data planes on the same bucket reach this one's API: they answer writes for the"
          + " repositories this one writes with a redirect there, e.g. http://$(POD_IP):8080"
          + " (env CVMFS_EPHEMERAL_ADVERTISE_URL; default http://HOSTNAME:PORT).")
  String advertiseUrl;

  StorageConfig config() {
    if (storage == null || storage.strip().equals("local")) {
      return StorageConfig.LOCAL;
    }
    return new StorageConfig(S3Settings.parse(storage.strip(), endpoint, region, pathStyle, publicRead), Ttl.parse(leaseTerm),
        advertiseUrl);
  }
}
