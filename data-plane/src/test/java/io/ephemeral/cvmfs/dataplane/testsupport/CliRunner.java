package io.ephemeral.cvmfs.dataplane.testsupport;

import io.ephemeral.cvmfs.dataplane.cli.Main;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** Runs the command line in-process and captures what it prints. Not for concurrent use. */
public final class CliRunner {

  private CliRunner() {}

  public static Result run(String... args) {
    PrintStream originalOut = System.out;
    PrintStream originalErr = System.err;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    try {
      int exitCode = Main.run(args);
      System.out.flush();
      System.err.flush();
      return new Result(exitCode, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(originalOut);
      System.setErr(originalErr);
    }
  }

  public record Result(int exitCode, String stdout, String stderr) {
    public List<String> stdoutLines() {
      return stdout.lines().toList();
    }
  }
}
