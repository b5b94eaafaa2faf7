package io.ephemeral.cvmfs.dataplane.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.ephemeral.cvmfs.dataplane.client.Target;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** Removes a publication. */
@Command(name = "rm", mixinStandardHelpOptions = true,
    description = "Remove the publication at URL/FQRN/PATH, in a new revision.")
final class RmCommand extends ClientCommand {

  @Parameters(index = "0", paramLabel = "URL/FQRN/PATH", description = "e.g. http://server:8080/builds.example.org/pipelines/42.")
  String url;


  @Override
  int run() throws Exception {
    Target target = client.api().writerOf(Target.parse(url).requirePath());
    JsonNode answer = client.api().call("DELETE", target.pathApi(""), null);
    System.out.println(json ? answer.toString()
        : "removed " + target.fqrn() + answer.path("path").asText() + " in revision " + answer.path("revision").asLong());
    return 0;
  }
}
