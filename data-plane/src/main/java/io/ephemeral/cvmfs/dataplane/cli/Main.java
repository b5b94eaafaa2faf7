package io.ephemeral.cvmfs.dataplane.cli;

import io.ephemeral.cvmfs.common.observability.LogFormat;
import io.ephemeral.cvmfs.common.observability.LogSetup;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of the data-plane jar. */
@Command(
    name = "cvmfs-ephemeral-data-plane",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = "A CernVM-FS stratum 0 for short-lived artifacts.",
    subcommands = {ServeCommand.class, PublishCommand.class, VerifyCommand.class, SubscribeCommand.class,
        RelayCommand.class, GcCommand.class, ResignWhitelistCommand.class, PushCommand.class, LsCommand.class,
        RmCommand.class, TtlCommand.class, StatusCommand.class})
public final class Main {

  public static void main(String[] args) {
    // Text until a long-running command applies its --log-format.
    LogSetup.configure(LogFormat.TEXT);
    System.exit(run(args));
  }

  /** Runs a command line and returns its exit code: 0 success, 1 failure, 2 usage error. */
  public static int run(String... args) {
    CommandLine commandLine = new CommandLine(new Main());
    commandLine.setExecutionExceptionHandler((e, cmd, parsed) -> {
      cmd.getErr().println("error: " + (e.getMessage() == null ? e.toString() : e.getMessage()));
      return 1;
    });
    return commandLine.execute(args);
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String version = Main.class.getPackage().getImplementationVersion();
      return new String[] {"cvmfs-ephemeral " + (version == null ? "development" : version)};
    }
  }
}
