package io.ephemeral.cvmfs.common.repository;

/**
 * The client configuration of a repository ({@code /etc/cvmfs/config.d/<fqrn>.conf}), with the
 * settings the stock client needs to mount this server (format.md 11.4).
 *
 * @param baseUrl where this server is reached, e.g. {@code http://cvmfs.example:8080}
 * @param keysDirectory where clients keep the repository's public key
 * @param notificationUrl the notification base URL, or {@code null} to rely on TTL polling
 */
public record ClientConfiguration(String fqrn, String baseUrl, String keysDirectory, String notificationUrl) {

  public String render() {
    StringBuilder conf = new StringBuilder();
    conf.append("CVMFS_SERVER_URL=\"").append(stripSlash(baseUrl)).append("/cvmfs/@fqrn@\"\n");
    conf.append("CVMFS_KEYS_DIR=").append(keysDirectory).append('\n');
    conf.append("CVMFS_HTTP_PROXY=DIRECT\n");
    if (notificationUrl != null) {
      conf.append("CVMFS_NOTIFICATION_SERVER=").append(stripSlash(notificationUrl)).append('\n');
    }
    return conf.toString();
  }

  private static String stripSlash(String url) {
    return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
  }
}
