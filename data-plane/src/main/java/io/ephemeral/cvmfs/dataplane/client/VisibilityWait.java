package io.ephemeral.cvmfs.dataplane.client;

import io.ephemeral.cvmfs.dataplane.verify.RemoteRepository;
import java.io.IOException;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.OptionalLong;

/**
 * Waits until a repository serves a revision: reads {@code BASE/cvmfs/FQRN/.cvmfspublished} over
 * and over until its revision (the line starting with {@code S}) is at least the one published,
 * as a client mounting the repository would see it.
 */
public final class VisibilityWait {

  private final Duration timeout;
  private final Duration interval;

  public VisibilityWait(Duration timeout, Duration interval) {
    this.timeout = timeout;
    this.interval = interval;
  }

  /**
   * Returns the revision served once it is at least {@code revision}.
   *
   * @throws ClientFailure {@link ClientFailure.Kind#NOT_VISIBLE} after the timeout
   */
  public long await(Target target, long revision) throws ClientFailure, InterruptedException {
    RemoteRepository repository = new RemoteRepository(target.repositoryUrl(),
        HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10)).build(),
        Duration.ofSeconds(10));
    long deadline = System.nanoTime() + timeout.toNanos();
    String last;
    while (true) {
      try {
        OptionalLong served = revisionOf(repository.fetchManifest());
        if (served.isPresent() && served.getAsLong() >= revision) {
          return served.getAsLong();
        }
        last = served.isPresent() ? "it serves revision " + served.getAsLong() : "its manifest names no revision";
      } catch (IOException e) {
        last = Retrying.describe(e);
      }
      if (System.nanoTime() - deadline >= 0) {
        throw new ClientFailure(ClientFailure.Kind.NOT_VISIBLE, "revision " + revision + " was not visible at "
            + repository.baseUri() + " within " + Units.duration(timeout) + ": " + last, null);
      }
      Thread.sleep(interval.toMillis());
    }
  }

  /** The revision of a manifest: its {@code S} line, before the signature's {@code --}. */
  static OptionalLong revisionOf(byte[] manifest) {
    for (String line : new String(manifest, StandardCharsets.UTF_8).split("\n")) {
      if (line.startsWith("--")) {
        break;
      }
      if (line.startsWith("S")) {
        try {
          return OptionalLong.of(Long.parseLong(line.substring(1).strip()));
        } catch (NumberFormatException e) {
          return OptionalLong.empty();
        }
      }
    }
    return OptionalLong.empty();
  }
}
