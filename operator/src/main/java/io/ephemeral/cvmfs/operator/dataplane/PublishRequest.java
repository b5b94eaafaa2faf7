package io.ephemeral.cvmfs.operator.dataplane;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The body of {@code POST /api/v1/repos/FQRN/paths/PATH}: a URL source (with its optional
 * digest), an image in a registry (with its platform and credentials) or a staged upload, and
 * how to publish it.
 *
 * @param url where the data plane fetches the archive; null for an image or a staged upload
 * @param sha256 the archive's expected digest; only with a URL
 * @param upload the id of a staged upload; used only when there is neither URL nor image
 * @param ttl how long the path is served, e.g. {@code 1h} or seconds; null: the data plane's default
 * @param format the archive's format; null: the data plane tells by the content
 * @param overwrite whether an existing path may be replaced
 * @param image the image reference the data plane pulls; null for a URL or an upload
 * @param platform {@code os/architecture[/variant]} of a multi-platform image; null: the data plane's default
 * @param credentials the registry's username and password; null for an anonymous pull
 */
public record PublishRequest(String url, String sha256, String upload, String ttl, String format, boolean overwrite,
    String image, String platform, RegistryCredentials credentials) {

  /** A username and password for a registry; the password is left out of {@link #toString()}. */
  public record RegistryCredentials(String username, String password) {
    @Override
    public String toString() {
      return "RegistryCredentials[username=" + username + ", password=<hidden>]";
    }
  }

  /** A URL or staged upload. */
  public PublishRequest(String url, String sha256, String upload, String ttl, String format, boolean overwrite) {
    this(url, sha256, upload, ttl, format, overwrite, null, null, null);
  }

  ObjectNode toJson(ObjectNode body) {
    if (url != null) {
      body.put("url", url);
      if (sha256 != null) {
        body.put("sha256", sha256);
      }
    } else if (image != null) {
      body.put("image", image);
      if (platform != null) {
        body.put("platform", platform);
      }
      if (credentials != null) {
        body.putObject("credentials").put("username", credentials.username()).put("password", credentials.password());
      }
    } else {
      body.put("upload", upload);
    }
    if (ttl != null) {
      body.put("ttl", ttl);
    }
    if (format != null) {
      body.put("format", format);
    }
    return body.put("overwrite", overwrite);
  }
}
