package io.ephemeral.cvmfs.operator.dataplane;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The body of {@code POST /api/v1/repos/FQRN/paths/PATH}: a URL source (with its optional
 * digest) or a staged upload, and how to publish it.
 *
 * @param url where the data plane fetches the archive; null for a staged upload
 * @param sha256 the archive's expected digest; only with a URL
 * @param upload the id of a staged upload; used only when there is no URL
 * @param ttl how long the path is served, e.g. {@code 1h} or seconds; null: the data plane's default
 * @param format the archive's format; null: the data plane tells by the content
 * @param overwrite whether an existing path may be replaced
 */
public record PublishRequest(String url, String sha256, String upload, String ttl, String format, boolean overwrite) {

  ObjectNode toJson(ObjectNode body) {
    if (url != null) {
      body.put("url", url);
      if (sha256 != null) {
        body.put("sha256", sha256);
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
