package io.ephemeral.cvmfs.dataplane.cli;

import io.ephemeral.cvmfs.dataplane.client.ApiClient;
import io.ephemeral.cvmfs.dataplane.client.RetryPolicy;
import io.ephemeral.cvmfs.dataplane.client.Retrying;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import picocli.CommandLine.Option;

/** What the client commands (push, ls, rm, ttl, status) share: the token and the retries. */
final class ClientOptions {

  static final String TOKEN_ENV = "CVMFS_EPHEMERAL_TOKEN";
  static final String TOKEN_FILE_ENV = "CVMFS_EPHEMERAL_TOKEN_FILE";

  @Option(names = "--token-file", paramLabel = "FILE",
      description = "File holding the repository's publish token. Without it the token comes from "
          + TOKEN_ENV + ", else from the file named by " + TOKEN_FILE_ENV + "; reading needs none.")
  Path tokenFile;

  @Option(names = "--retries", paramLabel = "N", defaultValue = "${env:CVMFS_EPHEMERAL_RETRIES:-4}",
      description = "Attempts after the first on a transient failure: connection refused or reset, timeout, "
          + "HTTP 408, 429, 502, 503, 504 (env CVMFS_EPHEMERAL_RETRIES; default ${DEFAULT-VALUE}).")
  int retries;

  @Option(names = "--retry-delay", paramLabel = "DURATION", defaultValue = "1s", converter = DurationConverter.class,
      description = "Wait before the first retry, doubled for each next one, at most 60s (default ${DEFAULT-VALUE}).")
  Duration retryDelay;

  /** The token: --token-file, else the environment's token, else the environment's token file; null when none. */
  String token() {
    Path file = tokenFile;
    if (file == null) {
      String token = System.getenv(TOKEN_ENV);
      if (token != null && !token.isBlank()) {
        return token.strip();
      }
      String named = System.getenv(TOKEN_FILE_ENV);
      file = named == null || named.isBlank() ? null : Path.of(named);
    }
    if (file == null) {
      return null;
    }
    try {
      return Files.readString(file).strip();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the token file " + file + ": " + e.getMessage(), e);
    }
  }

  ApiClient api() {
    if (retries < 0) {
      throw new IllegalArgumentException("--retries must not be negative");
    }
    return new ApiClient(token(), new Retrying(RetryPolicy.of(retries, retryDelay), notice -> {
      System.err.println("warning: " + notice);
      System.err.flush();
    }));
  }
}
