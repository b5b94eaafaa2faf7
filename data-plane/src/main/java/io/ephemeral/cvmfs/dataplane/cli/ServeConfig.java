package io.ephemeral.cvmfs.dataplane.cli;

import java.util.List;

/**
 * Everything {@code serve} runs with, gathered from flags and environment in one place.
 *
 * @param publicUrl base URL clients use to reach this server, written into client configurations
 */
record ServeConfig(List<String> repositories, String bindAddress, int port, int notificationPort, String publicUrl) {

  ServeConfig {
    repositories = List.copyOf(repositories);
    if (repositories.isEmpty()) {
      throw new IllegalArgumentException("at least one --repository is needed");
    }
  }
}
