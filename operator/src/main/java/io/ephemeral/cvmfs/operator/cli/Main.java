package io.ephemeral.cvmfs.operator.cli;

import io.ephemeral.cvmfs.common.observability.LogFormat;
import io.ephemeral.cvmfs.common.observability.LogSetup;
import picocli.CommandLine.Command;
import picocli.CommandLine;

/** Entry point of the operator jar: the operator itself, and the maintenance job its CronJobs run. */
@Command(
    name = "cvmfs-ephemeral-operator",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = "Kubernetes operator for cvmfs-ephemeral repositories and publications.",
    subcommands = {RunCommand.class, MaintainCommand.class})
public final class Main {

  public static void main(String[] args) {
    // Text until the run command applies its --log-format.
    LogSetup.configure(LogFormat.TEXT);
    System.exit(run(args));
  }

  /** Runs a command line and returns its exit code: 0 success, 1 failure, 2 usage error. */
  public static int run(String... args) {
    return commandLine().execute(args);
  }

  /** The command line with its error handling, for callers that set their own output streams. */
  static CommandLine commandLine() {
    CommandLine commandLine = new CommandLine(new Main());
    commandLine.setExecutionExceptionHandler((e, cmd, parsed) -> {
      cmd.getErr().println("error: " + describe(e));
      return 1;
    });
    return commandLine;
  }

  /** The message, plus the root cause when it adds something: framework messages are often generic. */
  static String describe(Throwable e) {
    String message = e.getMessage() == null ? e.toString() : e.getMessage();
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String cause = root.getMessage() == null ? root.getClass().getName() : root.getMessage();
    return root == e || message.contains(cause) ? message : message + " (" + cause + ")";
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String version = Main.class.getPackage().getImplementationVersion();
      return new String[] {"cvmfs-ephemeral-operator " + (version == null ? "development" : version)};
    }
  }
}
