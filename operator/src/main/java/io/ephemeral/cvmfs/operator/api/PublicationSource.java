package io.ephemeral.cvmfs.operator.api;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.ValidationRule;

/** Either an upload staged on the data plane or an HTTP(S) URL of an archive. */
@ValidationRule(value = "has(self.upload) != has(self.url)", message = "name exactly one of upload and url")
@ValidationRule(value = "!has(self.sha256) || has(self.url)", message = "sha256 goes with url")
public record PublicationSource(
    @JsonPropertyDescription("Id of an upload staged with POST /api/v1/repos/FQRN/uploads.")
    @Pattern("^[A-Za-z0-9_-]{1,128}$") String upload,
    @JsonPropertyDescription("HTTP(S) URL of an archive or image tarball; fetched by the data plane.")
    @Pattern(Patterns.HTTP_URL) String url,
    @JsonPropertyDescription("Expected SHA-256 of what url serves, in hex.")
    @Pattern(Patterns.SHA256) String sha256) {

  /** Whether this source can be fetched again, e.g. after the data plane lost its content. */
  @JsonIgnore
  public boolean replayable() {
    return url != null;
  }
}
