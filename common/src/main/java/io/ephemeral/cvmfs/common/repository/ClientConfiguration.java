package io.ephemeral.cvmfs.common.repository;

/**
 * The client configuration of a repository ({@code /etc/cvmfs/config.d/<fqrn>.conf}), with the
 * settings the stock client needs to mount this server (format.md 11.4).
 *
 * @param serverUrl {@code CVMFS_SERVER_URL}: where the repository is read, with {@code @fqrn@}
 *     where its name goes, e.g. {@code http://cvmfs.example:8080/cvmfs/@fqrn@}
 * @param keysDirectory where clients keep the repository's public key
 * @param notificationUrl the notification base URL, or {@code null} to rely on TTL polling
 */
public record ClientConfiguration(String fqrn, String serverUrl, String keysDirectory, String notificationUrl) {

  /** The placeholder the client replaces with the repository's name in {@code CVMFS_SERVER_URL}. */
  public static final String FQRN_PLACEHOLDER = "@fqrn@";

  /** {@code CVMFS_SERVER_URL} of a server that serves repositories at {@code baseUrl/cvmfs/FQRN}, as a stratum 0. */
  public static String stratumZeroUrl(String baseUrl) {
    return stripSlash(baseUrl) + "/cvmfs/" + FQRN_PLACEHOLDER;
  }

  public String render() {
    StringBuilder conf = new StringBuilder();
    conf.append("CVMFS_SERVER_URL=\"").append(serverUrl).append("\"\n");
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
