package io.ephemeral.cvmfs.dataplane.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ephemeral.cvmfs.dataplane.testsupport.CliRunner;
import org.junit.jupiter.api.Test;

class LoggingOptionsTest {

  @Test
  void anUnknownLogFormatIsAUsageError() {
    for (String command : new String[] {"serve", "relay"}) {
      CliRunner.Result result = CliRunner.run(command, "--log-format", "xml");
      assertEquals(2, result.exitCode(), result.stderr());
      assertTrue(result.stderr().contains("unknown log format 'xml'"), result.stderr());
    }
  }
}
