package io.ephemeral.cvmfs.dataplane.cli;

import io.ephemeral.cvmfs.common.format.Pem;
import io.ephemeral.cvmfs.dataplane.verify.EntryListing;
import io.ephemeral.cvmfs.dataplane.verify.RemoteRepository;
import io.ephemeral.cvmfs.dataplane.verify.RepositoryVerifier;
import io.ephemeral.cvmfs.dataplane.verify.VerificationResult;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** Checks a served repository the way a client and a stratum 1 would, down to every object. */
@Command(name = "verify", mixinStandardHelpOptions = true,
    description = {"Verify a served repository end to end: manifest and whitelist signatures, every catalog and "
        + "every object.", "Stops at the first fault and prints it."})
final class VerifyCommand implements Callable<Integer> {

  @Spec
  CommandSpec spec;

  @Parameters(index = "0", paramLabel = "URL", description = "Repository URL: http://HOST[:PORT]/cvmfs/FQRN.")
  URI url;

  @Option(names = "--key", required = true, paramLabel = "FQRN.pub",
      description = "Master public key (PEM). Repeat for several; any one may have signed the whitelist.")
  List<Path> keys;

  @Option(names = "--list", description = "Print every entry, depth-first, one line each.")
  boolean list;

  @Override
  public Integer call() throws IOException {
    List<PublicKey> masterKeys = new ArrayList<>();
    for (Path key : keys) {
      try {
        masterKeys.add(Pem.readPublicKey(Files.readString(key)));
      } catch (IOException e) {
        throw new IOException("cannot read master public key " + key + ": " + e.getMessage(), e);
      }
    }
    VerificationResult result = new RepositoryVerifier(new RemoteRepository(url), masterKeys).verify();
    PrintWriter out = spec.commandLine().getOut();
    if (list) {
      EntryListing.lines(result.entries()).forEach(out::println);
    }
    out.println(result.summary());
    out.flush();
    return 0;
  }
}
