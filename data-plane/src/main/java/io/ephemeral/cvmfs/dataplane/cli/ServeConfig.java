package io.ephemeral.cvmfs.dataplane.cli;

import java.util.List;

/**
 * Everything {@code serve} runs with, gathered from flags and environment in one place.
 *
 * @param notificationPort port of the server that serves only the notification API; 0 picks a
 *     free one, -1 means none (the main port serves the API as well)
 * @param publicUrl base URL clients use to reach this server, written into client configurations
 */
record ServeConfig(List<String> repositories, String bindAddress, int port, int notificationPort, String publicUrl) {

  ServeConfig {
    repositories = List.copyOf(repositories);
    if (repositories.isEmpty()) {
      throw new IllegalArgumentException("at least one --repository is needed");
    }
    if (notificationPort < -1 || notificationPort > 65535) {
      throw new IllegalArgumentException("--notification-port must be -1 (none), 0 (any) or a port number");
    }
  }

  /** The notification base URL clients are given: the API on the main port, under the public URL. */
  String notificationUrl() {
    return (publicUrl.endsWith("/") ? publicUrl.substring(0, publicUrl.length() - 1) : publicUrl) + "/api/v1";
  }
}
