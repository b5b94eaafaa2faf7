package io.ephemeral.cvmfs.operator.api;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.ValidationRule;

/** An upload staged on the data plane, an HTTP(S) URL of an archive, or an image in a registry. */
@ValidationRule(value = "(has(self.upload) ? 1 : 0) + (has(self.url) ? 1 : 0) + (has(self.image) ? 1 : 0) == 1",
    message = "name exactly one of upload, url and image")
@ValidationRule(value = "!has(self.sha256) || has(self.url)", message = "sha256 goes with url")
@ValidationRule(value = "(!has(self.pullSecret) && !has(self.platform)) || has(self.image)",
    message = "pullSecret and platform go with image")
public record PublicationSource(
    @JsonPropertyDescription("Id of an upload staged with POST /api/v1/repos/FQRN/uploads.")
    @Pattern("^[A-Za-z0-9_-]{1,128}$") String upload,
    @JsonPropertyDescription("HTTP(S) URL of an archive or image tarball; fetched by the data plane.")
    @Pattern(Patterns.HTTP_URL) String url,
    @JsonPropertyDescription("Expected SHA-256 of what url serves, in hex.")
    @Pattern(Patterns.SHA256) String sha256,
    @JsonPropertyDescription("Image in a registry, REGISTRY/NAME:TAG or REGISTRY/NAME@sha256:HEX (or both: the digest"
        + " wins and is checked); pulled by the data plane over the OCI distribution API and published as its"
        + " flattened root file system. http:// forces plain HTTP; localhost and 127.0.0.1 use it by default.")
    @Pattern(Patterns.IMAGE) String image,
    @JsonPropertyDescription("Platform to take from a multi-platform image, os/architecture[/variant];"
        + " default linux/amd64, or the only one.")
    @Pattern(Patterns.PLATFORM) String platform,
    @JsonPropertyDescription("Name of a Secret of type kubernetes.io/dockerconfigjson in this namespace holding"
        + " the credentials for the image's registry.")
    @Pattern(Patterns.NAME) String pullSecret) {

  /** Whether this source can be fetched again, e.g. after the data plane lost its content. */
  @JsonIgnore
  public boolean replayable() {
    return url != null || image != null;
  }

  /** The URL or image, as messages name what is fetched. */
  @JsonIgnore
  public String remote() {
    return url != null ? url : image;
  }
}
