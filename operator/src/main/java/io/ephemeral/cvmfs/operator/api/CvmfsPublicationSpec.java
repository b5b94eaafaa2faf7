package io.ephemeral.cvmfs.operator.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

/** What to publish where, and for how long. Only the TTL may change once published. */
@ValidationRule(value = "self.repository == oldSelf.repository && self.path == oldSelf.path"
    + " && self.source == oldSelf.source", message = "repository, path and source are immutable; only ttl may change")
// On the record, not the component: a component's annotation reaches field and accessor, and the generator lists both.
@ValidationRule(value = "!self.path.matches('[^/]{" + (Patterns.MAX_PATH_NAME + 1) + "}')", fieldPath = ".path",
    message = "each name in path has at most " + Patterns.MAX_PATH_NAME + " characters")
@ValidationRule(value = "!self.path.matches('^([^/]*/){" + Patterns.MAX_PATH_DEPTH + "}')", fieldPath = ".path",
    message = "path has at most " + Patterns.MAX_PATH_DEPTH + " names")
public record CvmfsPublicationSpec(
    @JsonPropertyDescription("Name of a CvmfsRepository in the same namespace.")
    @Required @Pattern(Patterns.NAME) @Size(max = Patterns.MAX_NAME) String repository,
    @JsonPropertyDescription("Path inside the repository, e.g. pipelines/1234: names of letters, digits and"
        + " ._+@=,- not starting with a dot, each at most 255 characters, at most 64 deep.")
    @Required @Pattern(Patterns.PATH) @Size(max = Patterns.MAX_PATH_LENGTH) String path,
    @JsonPropertyDescription("What to publish.")
    @Required PublicationSource source,
    @JsonPropertyDescription("Archive format: file, tar, tar.gz, tar.zst, docker-archive or oci-archive;"
        + " default: recognised from the first bytes as tar, tar.gz or tar.zst.")
    @Pattern("^(file|tar|tar\\.gz|tar\\.zst|docker-archive|oci-archive)$") String format,
    @JsonPropertyDescription("Lifetime, e.g. 2h; default: the repository's default TTL.")
    @Pattern(Patterns.DURATION) String ttl,
    @JsonPropertyDescription("Replace what is published at the path already.")
    @Default("false") Boolean overwrite,
    @JsonPropertyDescription("Names the revision that serves this publication with a repository tag, as"
        + " cvmfs_server tag does: clients mount it with CVMFS_REPOSITORY_TAG, garbage collection keeps it, and the"
        + " data plane can roll back to it. Letters, digits, . _ -; not trunk or trunk-previous. A name taken"
        + " already is reported in the Tagged condition, not retried.")
    @Pattern(Patterns.TAG) String tag) {

  public CvmfsPublicationSpec {
    overwrite = overwrite != null && overwrite;
  }
}
