package io.ephemeral.cvmfs.dataplane.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.ephemeral.cvmfs.common.format.HashAlgorithm;
import io.ephemeral.cvmfs.common.format.Pem;
import io.ephemeral.cvmfs.common.maintenance.WhitelistCheck;
import io.ephemeral.cvmfs.common.maintenance.WhitelistSigner;
import io.ephemeral.cvmfs.dataplane.repository.AtomicFiles;
import io.ephemeral.cvmfs.dataplane.repository.DataLayout;
import io.ephemeral.cvmfs.dataplane.repository.Fqrn;
import io.ephemeral.cvmfs.dataplane.repository.Repository;
import io.ephemeral.cvmfs.dataplane.repository.RepositoryOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Signs a fresh whitelist. It reads only the certificate and the master key and replaces the
 * served file atomically, so it works while a server runs; the server serves it at once.
 */
@Command(name = "resign-whitelist", mixinStandardHelpOptions = true,
    description = {"Sign a fresh .cvmfswhitelist with the master key, like cvmfs_server resign.",
        "Safe while the server runs: it needs no lock, and the server serves the new file at once."})
final class ResignWhitelistCommand implements Callable<Integer> {

  @Option(names = "--data", defaultValue = "${env:CVMFS_EPHEMERAL_DATA:-./data}",
      description = "Data directory (env CVMFS_EPHEMERAL_DATA; default ${DEFAULT-VALUE}).")
  Path data;

  @Option(names = "--keys", paramLabel = "DIR", defaultValue = "${env:CVMFS_EPHEMERAL_KEYS}",
      description = "Directory with the key files (env CVMFS_EPHEMERAL_KEYS; default DATA/keys).")
  Path keys;

  @Option(names = "--repository", required = true, description = "Repository name.")
  String fqrn;

  @Option(names = "--master-key", paramLabel = "FILE", description = "Master private key (default KEYS/FQRN.masterkey).")
  Path masterKey;

  @Option(names = "--days", defaultValue = "30", description = "Validity in days (default ${DEFAULT-VALUE}).")
  int days;

  @Option(names = "--output", paramLabel = "FILE",
      description = "Write the whitelist here instead of into the served tree, e.g. to put it into a Secret.")
  Path output;

  @Override
  public Integer call() throws Exception {
    if (days < 1) {
      throw new IllegalArgumentException("--days must be at least 1");
    }
    DataLayout layout = DataLayout.of(data, keys);
    Fqrn.require(fqrn);
    HashAlgorithm algorithm = Repository.storedOptions(layout, fqrn).orElse(RepositoryOptions.DEFAULT).hash();
    WhitelistSigner signer = new WhitelistSigner(fqrn,
        Pem.readCertificate(Files.readString(layout.certificate(fqrn))),
        Pem.readPrivateKey(Files.readString(masterKey != null ? masterKey : layout.masterKey(fqrn))), algorithm);
    Instant now = Instant.now();
    byte[] whitelist = signer.sign(now, Duration.ofDays(days));
    // Refuse to write what a client would reject, e.g. when the master key does not match FQRN.pub.
    new WhitelistCheck(fqrn, Pem.readPublicKey(Files.readString(layout.masterPublicKey(fqrn))), signer.certificate())
        .check(whitelist, now);
    Path target = output != null ? output : layout.served(fqrn).resolve(Repository.WHITELIST);
    AtomicFiles.write(target, whitelist);
    System.out.println(new ObjectMapper().createObjectNode().put("fqrn", fqrn).put("file", target.toString())
        .put("expires", now.plus(Duration.ofDays(days)).toString()));
    return 0;
  }
}
