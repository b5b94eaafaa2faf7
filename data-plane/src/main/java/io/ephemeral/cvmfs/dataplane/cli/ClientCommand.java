package io.ephemeral.cvmfs.dataplane.cli;

import io.ephemeral.cvmfs.dataplane.client.ClientFailure;
import java.io.UncheckedIOException;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * A command that talks to a running data plane. Exit codes: 0 done, 1 refused (the server said
 * no, with its detail on stderr, or the source cannot be read), 2 usage, 3 unreachable after the
 * retries, 4 published but not visible in time.
 */
abstract class ClientCommand implements Callable<Integer> {

  static final int USAGE = 2;

  @Mixin
  ClientOptions client;

  @Option(names = "--json", description = "Print the server's JSON answer instead of a line or a table.")
  boolean json;

  @Override
  public final Integer call() throws Exception {
    try {
      return run();
    } catch (ClientFailure failure) {
      return fail(failure.getMessage(), failure.exitCode());
    } catch (IllegalArgumentException usage) {
      return fail(usage.getMessage(), USAGE);
    } catch (UncheckedIOException unreadable) {
      return fail(unreadable.getMessage(), ClientFailure.Kind.REFUSED.exitCode());
    }
  }

  abstract int run() throws Exception;

  private static int fail(String message, int exitCode) {
    System.out.flush();
    System.err.println("error: " + message);
    System.err.flush();
    return exitCode;
  }
}
