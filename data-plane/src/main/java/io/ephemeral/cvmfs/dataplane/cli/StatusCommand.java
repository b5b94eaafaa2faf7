package io.ephemeral.cvmfs.dataplane.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.ephemeral.cvmfs.dataplane.client.Target;
import io.ephemeral.cvmfs.dataplane.client.Units;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** Shows a repository's state as its data plane reports it. */
@Command(name = "status", mixinStandardHelpOptions = true,
    description = "Show the repository URL/FQRN: revision, root catalog, publications, files, bytes, whitelist expiry.")
final class StatusCommand extends ClientCommand {

  @Parameters(index = "0", paramLabel = "URL/FQRN", description = "e.g. http://server:8080/builds.example.org.")
  String url;


  @Override
  int run() throws Exception {
    Target target = client.api().writerOf(Target.parse(url));
    JsonNode answer = client.api().call("GET", target.repositoryApi(), null);
    if (json) {
      System.out.println(answer);
      return 0;
    }
    System.out.println(answer.path("fqrn").asText() + " revision " + answer.path("revision").asLong()
        + " published " + answer.path("publishedAt").asText());
    System.out.println("  publications " + answer.path("publications").asLong() + ", files "
        + answer.path("files").asLong() + ", " + Units.bytes(answer.path("bytes").asLong()) + " ("
        + Units.bytes(answer.path("bytesStored").asLong()) + " stored)");
    System.out.println("  root catalog " + answer.path("rootCatalog").asText());
    System.out.println("  whitelist expires " + answer.path("whitelistExpiresAt").asText());
    return 0;
  }
}
