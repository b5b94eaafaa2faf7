package io.ephemeral.cvmfs.dataplane.cli;

import io.ephemeral.cvmfs.dataplane.api.ApiJson;
import io.ephemeral.cvmfs.dataplane.publish.ObjectPipeline;
import io.ephemeral.cvmfs.dataplane.publish.PublicationPolicy;
import io.ephemeral.cvmfs.dataplane.publish.PublishResult;
import io.ephemeral.cvmfs.dataplane.publish.Publisher;
import io.ephemeral.cvmfs.dataplane.publish.source.ArchiveSource;
import io.ephemeral.cvmfs.dataplane.publish.source.Sources;
import io.ephemeral.cvmfs.dataplane.publish.source.TreeSource;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Publishes a directory or archive as a new revision, without a running server. */
@Command(name = "publish", mixinStandardHelpOptions = true,
    description = "Publish a directory or a tar, tar.gz or tar.zst archive under a path, as a new revision.")
final class PublishCommand implements Callable<Integer> {

  @Mixin
  RepositoryArguments repository;

  @Option(names = "--repository", required = true, description = "Repository name (created if needed).")
  String fqrn;

  @Option(names = "--path", required = true, description = "Path inside the repository, e.g. pipelines/1234.")
  String path;

  @Option(names = "--overwrite", description = "Replace a publication already at this path.")
  boolean overwrite;

  @Parameters(index = "0", paramLabel = "SOURCE", description = "Directory or archive to publish.")
  Path source;

  @Override
  public Integer call() throws Exception {
    // The limits the server holds a publication to, so that what publishes here would publish there.
    PublicationPolicy policy = PublicationPolicy.DEFAULT;
    TreeSource tree = Sources.open(source,
        new ArchiveSource.Limits(policy.maxEntries(), policy.maxFileSize(), policy.maxTotalBytes()));
    try (ObjectPipeline pipeline = ObjectPipeline.forThisMachine();
        Publisher publisher = Publisher.start(repository.open(fqrn), pipeline)) {
      PublishResult result = publisher.publish(path, tree, null, overwrite);
      System.out.println(ApiJson.published(result));
    }
    return 0;
  }
}
