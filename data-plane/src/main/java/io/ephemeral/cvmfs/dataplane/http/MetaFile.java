package io.ephemeral.cvmfs.dataplane.http;

import java.util.Objects;

/**
 * A small file served under {@code /cvmfs-meta/}: a public key, a certificate or a client
 * configuration. These are a few KiB at most, so they are held in memory rather than opened.
 *
 * @param content the bytes to serve; the server does not modify them, callers should not either
 * @param contentType the {@code Content-Type} to send, e.g. {@code application/x-pem-file}
 */
public record MetaFile(byte[] content, String contentType) {

  public MetaFile {
    Objects.requireNonNull(content, "content");
    Objects.requireNonNull(contentType, "contentType");
  }
}
