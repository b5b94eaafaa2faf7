package io.ephemeral.cvmfs.dataplane.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.ephemeral.cvmfs.dataplane.maintenance.GarbageCollector;
import io.ephemeral.cvmfs.dataplane.maintenance.GcResult;
import io.ephemeral.cvmfs.dataplane.repository.Repository;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Collects the garbage of a repository that no server has open, e.g. from a CronJob. */
@Command(name = "gc", mixinStandardHelpOptions = true,
    description = {"Delete the objects no revision of the grace period references.",
        "Takes the repository's lock: stop the server first, or use POST /api/v1/repos/FQRN/gc instead."})
final class GcCommand implements Callable<Integer> {

  @Mixin
  RepositoryArguments repository;

  @Option(names = "--repository", required = true, description = "Repository name.")
  String fqrn;

  @Option(names = "--gc-grace", paramLabel = "SECONDS", defaultValue = "${env:CVMFS_EPHEMERAL_GC_GRACE}",
      description = "Keep every revision current within this many seconds (default: 2 x the manifest TTL, at least 300).")
  Long graceSeconds;

  @Option(names = "--dry-run", description = "Count what would be deleted, delete nothing.")
  boolean dryRun;

  @Override
  public Integer call() throws IOException {
    if (Repository.storedOptions(repository.layout(), fqrn).isEmpty()) {
      throw new IOException("there is no repository " + fqrn + " in " + repository.data);
    }
    try (Repository opened = repository.open(fqrn)) {
      Duration grace = graceSeconds != null ? Duration.ofSeconds(graceSeconds)
          : GarbageCollector.defaultGrace(opened.options().manifestTtl());
      GcResult result = new GarbageCollector(opened, grace).collect(dryRun);
      System.out.println(new ObjectMapper().valueToTree(result));
    }
    return 0;
  }
}
