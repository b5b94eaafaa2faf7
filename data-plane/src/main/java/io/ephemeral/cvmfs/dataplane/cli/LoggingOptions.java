package io.ephemeral.cvmfs.dataplane.cli;

import io.ephemeral.cvmfs.common.observability.LogFormat;
import io.ephemeral.cvmfs.common.observability.LogSetup;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

/** The log options of the commands that keep running: serve and relay. */
final class LoggingOptions {

  @Option(names = "--log-format", paramLabel = "text|json", defaultValue = "${env:CVMFS_LOG_FORMAT:-text}",
      converter = FormatConverter.class,
      description = "Log lines as text or as one JSON object each, on standard error (env CVMFS_LOG_FORMAT;"
          + " default ${DEFAULT-VALUE}).")
  LogFormat format = LogFormat.TEXT;

  /** Sets logging up; the first thing a long-running command does. */
  void apply() {
    LogSetup.configure(format);
  }

  static final class FormatConverter implements ITypeConverter<LogFormat> {
    @Override
    public LogFormat convert(String value) {
      try {
        return LogFormat.parse(value);
      } catch (IllegalArgumentException e) {
        throw new TypeConversionException(e.getMessage());
      }
    }
  }
}
