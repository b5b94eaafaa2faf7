package io.ephemeral.cvmfs.dataplane.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ephemeral.cvmfs.dataplane.client.Target;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** Lists the publications of a repository. */
@Command(name = "ls", mixinStandardHelpOptions = true,
    description = "List the publications of URL/FQRN, or those at or below URL/FQRN/PREFIX: path, type, files, "
        + "bytes, revision, expiry.")
final class LsCommand extends ClientCommand {

  @Parameters(index = "0", paramLabel = "URL/FQRN[/PREFIX]", description = "e.g. http://server:8080/builds.example.org.")
  String url;


  @Override
  int run() throws Exception {
    Target target = client.api().writerOf(Target.parse(url));
    JsonNode answer = client.api().call("GET", target.pathsApi(), null);
    String prefix = "/" + target.path();
    List<JsonNode> selected = new ArrayList<>();
    for (JsonNode publication : answer.path("publications")) {
      String path = publication.path("path").asText();
      if (target.path().isEmpty() || path.equals(prefix) || path.startsWith(prefix + "/")) {
        selected.add(publication);
      }
    }
    if (json) {
      ObjectNode out = answer.deepCopy();
      out.putArray("publications").addAll(selected);
      System.out.println(out);
      return 0;
    }
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"PATH", "TYPE", "FILES", "BYTES", "REVISION", "EXPIRES"});
    for (JsonNode p : selected) {
      rows.add(new String[] {p.path("path").asText(), p.path("type").asText(), p.path("files").asText(),
          p.path("bytes").asText(), p.path("revision").asText(), p.path("expiresAt").asText()});
    }
    System.out.print(Table.format(rows));
    return 0;
  }
}
