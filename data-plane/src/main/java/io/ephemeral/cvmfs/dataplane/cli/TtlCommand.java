package io.ephemeral.cvmfs.dataplane.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.ephemeral.cvmfs.dataplane.api.JsonResponses;
import io.ephemeral.cvmfs.dataplane.client.Target;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** Gives a publication a new lifetime. */
@Command(name = "ttl", mixinStandardHelpOptions = true,
    description = "Set the lifetime of the publication at URL/FQRN/PATH to DURATION from now (PATCH; no new revision).")
final class TtlCommand extends ClientCommand {

  @Parameters(index = "0", paramLabel = "URL/FQRN/PATH", description = "e.g. http://server:8080/builds.example.org/pipelines/42.")
  String url;

  @Parameters(index = "1", paramLabel = "DURATION", description = "Seconds, or 30m, 2h, 7d; at most the server's --max-ttl.")
  String ttl;


  @Override
  int run() throws Exception {
    Target target = client.api().writerOf(Target.parse(url).requirePath());
    String body = JsonResponses.JSON.createObjectNode().put("ttl", ttl).toString();
    JsonNode answer = client.api().call("PATCH", target.pathApi(""), body);
    System.out.println(json ? answer.toString()
        : target.fqrn() + answer.path("path").asText() + " expires " + answer.path("expiresAt").asText());
    return 0;
  }
}
