package io.ephemeral.cvmfs.operator.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.ValidationRule;

/** What to publish where, and for how long. Only the TTL may change once published. */
@ValidationRule(value = "self.repository == oldSelf.repository && self.path == oldSelf.path"
    + " && self.source == oldSelf.source", message = "repository, path and source are immutable; only ttl may change")
public record CvmfsPublicationSpec(
    @JsonPropertyDescription("Name of a CvmfsRepository in the same namespace.")
    @Required @Pattern(Patterns.NAME) String repository,
    @JsonPropertyDescription("Path inside the repository, e.g. pipelines/1234.")
    @Required @Pattern(Patterns.PATH) String path,
    @JsonPropertyDescription("What to publish.")
    @Required PublicationSource source,
    @JsonPropertyDescription("Archive format: file, tar, tar.gz, tar.zst, docker-archive or oci-archive;"
        + " default: recognised from the first bytes as tar, tar.gz or tar.zst.")
    @Pattern("^(file|tar|tar\\.gz|tar\\.zst|docker-archive|oci-archive)$") String format,
    @JsonPropertyDescription("Lifetime, e.g. 2h; default: the repository's default TTL.")
    @Pattern(Patterns.DURATION) String ttl,
    @JsonPropertyDescription("Replace what is published at the path already.")
    @Default("false") Boolean overwrite) {

  public CvmfsPublicationSpec {
    overwrite = overwrite != null && overwrite;
  }
}
