package io.ephemeral.cvmfs.operator.reconcilers;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

/** Runs a program that is not ours, such as openssl, and returns what it printed. */
final class IndependentTools {

  private IndependentTools() {
  }

  static String run(String... command) throws IOException, InterruptedException {
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (process.waitFor() != 0) {
      throw new AssertionError(String.join(" ", command) + " failed: " + output);
    }
    return output.strip();
  }
}
