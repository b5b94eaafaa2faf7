package io.ephemeral.cvmfs.dataplane.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.ephemeral.cvmfs.dataplane.client.ProgressDisplay;
import io.ephemeral.cvmfs.dataplane.client.Push;
import io.ephemeral.cvmfs.dataplane.client.Target;
import io.ephemeral.cvmfs.dataplane.client.Units;
import io.ephemeral.cvmfs.dataplane.client.UploadSource;
import io.ephemeral.cvmfs.dataplane.client.VisibilityWait;
import java.time.Duration;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Publishes a directory, a file or standard input through a running data plane's API. */
@Command(name = "push", mixinStandardHelpOptions = true,
    description = {"Publish a directory (tarred on the fly), a file or standard input (-) at URL/FQRN/PATH of a running "
        + "data plane, e.g. --to http://server:8080/builds.example.org/pipelines/42.",
        "Exit codes: 0 published, 1 refused (the server's detail on stderr), 2 usage, 3 unreachable after the "
            + "retries, 4 published but not visible within --wait-timeout."})
final class PushCommand extends ClientCommand {

  private static final List<String> FORMATS = List.of("tar", "tar.gz", "tar.zst", "docker-archive", "oci-archive", "file");

  @Parameters(index = "0", paramLabel = "SOURCE", description = "Directory, file, or - for standard input.")
  String source;

  @Option(names = "--to", required = true, paramLabel = "URL/FQRN/PATH",
      description = "Server base URL, repository and path, e.g. http://server:8080/builds.example.org/pipelines/42.")
  String to;

  @Option(names = "--ttl", paramLabel = "DURATION",
      description = "Lifetime of the publication: seconds, or 30m, 2h, 7d (default: the server's --default-ttl).")
  String ttl;

  @Option(names = "--format", paramLabel = "FORMAT",
      description = "What the source holds: tar, tar.gz, tar.zst, docker-archive, oci-archive or file. Default: a "
          + "directory is sent as tar; a file as an archive the server recognises (tar, tar.gz, tar.zst), else as "
          + "one file named PATH; standard input as the server recognises it.")
  String format;

  @Option(names = "--overwrite", description = "Replace a publication already at PATH.")
  boolean overwrite;

  @Option(names = "--stage",
      description = "Stage the source as an upload (POST /api/v1/repos/FQRN/uploads) instead of publishing it, and "
          + "print the upload's id, for a CvmfsPublication's spec.source.upload; --to then names URL/FQRN only.")
  boolean stage;

  @Option(names = "--no-reuse", negatable = false,
      description = "Send the bytes even if the server holds them already. By default a directory or a file is hashed "
          + "first (SHA-256) and, when the server knows the digest, published by it without being sent again.")
  boolean noReuse;

  @Option(names = "--wait-visible",
      description = "Return only once BASE/cvmfs/FQRN/.cvmfspublished serves the new revision (or a later one).")
  boolean waitVisible;

  @Option(names = "--wait-timeout", paramLabel = "DURATION", defaultValue = "60s", converter = DurationConverter.class,
      description = "How long --wait-visible waits (default ${DEFAULT-VALUE}).")
  Duration waitTimeout;

  @Option(names = "--progress", paramLabel = "auto|always|never", defaultValue = "auto",
      description = "Progress on stderr: a bar redrawn in place (always, or auto on a terminal), a line every few "
          + "seconds (auto elsewhere), or nothing (default ${DEFAULT-VALUE}).")
  String progress;

  @Override
  int run() throws Exception {
    if (format != null && !FORMATS.contains(format)) {
      throw new IllegalArgumentException("--format must be one of " + String.join(", ", FORMATS));
    }
    Target target = Target.parse(to);
    if (stage && (!target.path().isEmpty() || ttl != null || overwrite || waitVisible)) {
      throw new IllegalArgumentException("--stage takes --to URL/FQRN, without a path, --ttl, --overwrite or "
          + "--wait-visible: the CvmfsPublication names them");
    }
    target = client.api().writerOf(target);
    UploadSource upload = UploadSource.of(source, format, warning -> System.err.println("warning: " + warning));
    ProgressDisplay display = ProgressDisplay.create(progressMode(), System.err, System.console() != null);
    JsonNode result = new Push(client.api(), display).run(new Push.Request(target, upload, ttl, overwrite, stage,
        !noReuse));
    if (stage) {
      System.out.println(json ? result.toString() : result.path("id").asText());
      return 0;
    }
    long revision = result.path("revision").asLong();
    if (waitVisible) {
      new VisibilityWait(waitTimeout, Duration.ofMillis(500)).await(target, revision);
    }
    if (json) {
      System.out.println(result);
    } else {
      System.out.println("published " + target.fqrn() + result.path("path").asText() + " in revision " + revision
          + ": " + result.path("files").asLong() + " files, " + Units.bytes(result.path("bytes").asLong())
          + ", expires " + result.path("expiresAt").asText() + (waitVisible ? ", visible" : ""));
    }
    return 0;
  }

  private ProgressDisplay.Mode progressMode() {
    try {
      return ProgressDisplay.Mode.valueOf(progress.toUpperCase(java.util.Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--progress must be auto, always or never");
    }
  }
}
