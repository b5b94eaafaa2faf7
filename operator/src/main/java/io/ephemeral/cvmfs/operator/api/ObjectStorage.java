package io.ephemeral.cvmfs.operator.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

/**
 * A bucket of S3-compatible object storage that holds the repository in place of the data
 * volume, so that several data-plane replicas can serve it: one holds the writer lease in the
 * bucket, the others serve reads and send writes to it.
 */
// On the record, not the component: a component's annotation reaches field and accessor, and the generator lists both.
@ValidationRule(value = "!has(self.prefix) || !self.prefix.contains('..')", fieldPath = ".prefix",
    message = "prefix must not contain ..")
public record ObjectStorage(
    @JsonPropertyDescription("Bucket name, as S3 allows it: 3 to 63 lowercase letters, digits, dots and hyphens.")
    @Required @Pattern(Patterns.BUCKET) String bucket,
    @JsonPropertyDescription("Key prefix in the bucket, names joined by single slashes; the repository lives under"
        + " PREFIX/FQRN/, laid out as a stratum 0 serves it. Default: none.")
    @Pattern(Patterns.KEY_PREFIX) @Size(max = Patterns.MAX_KEY_PREFIX) String prefix,
    @JsonPropertyDescription("S3 API endpoint, e.g. http://minio.storage:9000; default: AWS's own for the region.")
    @Pattern(Patterns.HTTP_URL) String endpoint,
    @JsonPropertyDescription("Region requests are signed for; default: AWS_REGION, or us-east-1 with an endpoint.")
    @Size(max = 64) String region,
    @JsonPropertyDescription("Address the bucket as ENDPOINT/BUCKET rather than BUCKET.ENDPOINT, as MinIO and"
        + " Ceph RGW usually need.")
    @Default("false") Boolean pathStyle,
    @JsonPropertyDescription("Upload what clients read with the canned ACL public-read, for stores that grant"
        + " anonymous reads per object (MinIO, Ceph RGW); AWS buckets refuse ACLs by default and use a bucket"
        + " policy instead.")
    @Default("false") Boolean publicRead,
    @JsonPropertyDescription("A Secret of the repository's namespace whose keys AWS_ACCESS_KEY_ID and"
        + " AWS_SECRET_ACCESS_KEY are the data plane's credentials; default: none, the pods' ServiceAccount"
        + " (IRSA, workload identity) or the node's role.")
    @Pattern(Patterns.NAME) @Size(max = Patterns.MAX_NAME) String credentialsSecret,
    @JsonPropertyDescription("ServiceAccount the data-plane pods run as, e.g. one annotated with"
        + " eks.amazonaws.com/role-arn for IRSA; default: the namespace's default.")
    @Pattern(Patterns.NAME) @Size(max = Patterns.MAX_NAME) String serviceAccountName,
    @JsonPropertyDescription("URL clients read the bucket at, e.g. https://bucket.s3.example.org/prefix, under"
        + " which FQRN/.cvmfspublished is found: the client configuration's CVMFS_SERVER_URL is then"
        + " PUBLIC_URL/@fqrn@, and clients read objects from the bucket, not through the data plane."
        + " Default: none, clients read through the data plane's Service.")
    @Pattern(Patterns.HTTP_URL) String publicUrl) {

  public ObjectStorage {
    pathStyle = pathStyle != null && pathStyle;
    publicRead = publicRead != null && publicRead;
  }

  /** What the data plane's {@code --storage} takes: {@code s3://BUCKET[/PREFIX]}. */
  public String url() {
    return "s3://" + bucket + (prefix == null || prefix.isEmpty() ? "" : "/" + prefix);
  }
}
