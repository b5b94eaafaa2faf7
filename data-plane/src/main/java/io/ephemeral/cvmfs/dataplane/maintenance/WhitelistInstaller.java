package io.ephemeral.cvmfs.dataplane.maintenance;

import io.ephemeral.cvmfs.common.format.Whitelist;
import io.ephemeral.cvmfs.common.maintenance.InvalidWhitelistException;
import io.ephemeral.cvmfs.common.maintenance.WhitelistCheck;
import io.ephemeral.cvmfs.dataplane.repository.AtomicFiles;
import io.ephemeral.cvmfs.dataplane.repository.Repository;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;

/**
 * Replaces a repository's served whitelist with one signed elsewhere, after checking it. The
 * HTTP server reads the file on every request, so the new whitelist is served at once.
 */
public final class WhitelistInstaller {

  private final Path served;
  private final Writer writer;
  private final WhitelistCheck check;

  /** How a checked whitelist replaces the served one. */
  @FunctionalInterface
  public interface Writer {
    void write(byte[] whitelist) throws IOException;
  }

  /** Installs into a repository not opened yet: the served file alone. */
  public WhitelistInstaller(Path servedWhitelist, WhitelistCheck check) {
    this(servedWhitelist, content -> AtomicFiles.write(servedWhitelist, content), check);
  }

  private WhitelistInstaller(Path servedWhitelist, Writer writer, WhitelistCheck check) {
    this.served = servedWhitelist;
    this.writer = writer;
    this.check = check;
  }

  /** Installs into an open repository, and so into its storage too. */
  public static WhitelistInstaller of(Repository repository) {
    return new WhitelistInstaller(repository.served().resolve(Repository.WHITELIST),
        content -> repository.writeServed(Repository.WHITELIST, content),
        new WhitelistCheck(repository.fqrn(), repository.keys().masterPublicKey(), repository.keys().certificate()));
  }

  /**
   * Serves {@code file} if it passes the checks; an invalid one changes nothing.
   *
   * @return whether the served whitelist changed
   */
  public synchronized boolean install(byte[] file) throws IOException, InvalidWhitelistException {
    check.check(file, Instant.now());
    if (Files.exists(served) && Arrays.equals(Files.readAllBytes(served), file)) {
      return false;
    }
    writer.write(file);
    return true;
  }

  /** The whitelist served now, parsed, or {@code null} if there is none or it cannot be read. */
  public Whitelist current() {
    try {
      return Whitelist.parse(io.ephemeral.cvmfs.common.format.SignedDocument.parse(Files.readAllBytes(served)));
    } catch (IOException | IllegalArgumentException e) {
      return null;
    }
  }
}
