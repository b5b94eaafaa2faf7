package io.ephemeral.cvmfs.common.observability;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.jul.LevelChangePropagator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.logging.LogManager;
import org.slf4j.ILoggerFactory;
import org.slf4j.LoggerFactory;
import org.slf4j.bridge.SLF4JBridgeHandler;

/**
 * Sets up logging for a long-running command, once, before anything logs: every line to standard
 * error in the chosen {@link LogFormat}, at level INFO unless the system property {@code
 * cvmfs.log.level} says otherwise, java.util.logging included. A Logback configuration file given
 * with {@code -Dlogback.configurationFile} (or {@code logback-test.xml} in tests) is left in
 * charge: it was asked for explicitly.
 */
public final class LogSetup {

  /** The logger of the audit lines, one per write request. */
  public static final String AUDIT_LOGGER = "audit";

  /** Level when {@code cvmfs.log.level} is not set. */
  private static final String DEFAULT_LEVEL = "info";

  private LogSetup() {}

  /** Logs to standard error in {@code format}. */
  public static void configure(LogFormat format) {
    ILoggerFactory factory = LoggerFactory.getILoggerFactory();
    if (!(factory instanceof LoggerContext context)) {
      return; // another SLF4J provider was put on the class path on purpose
    }
    if (!configurationFileGiven()) {
      configure(context, format);
    }
    bridgeJavaUtilLogging();
  }

  /** Whether Logback found a configuration file of its own when it started. */
  private static boolean configurationFileGiven() {
    ClassLoader loader = LogSetup.class.getClassLoader();
    return System.getProperty("logback.configurationFile") != null
        || loader.getResource("logback-test.xml") != null || loader.getResource("logback.xml") != null;
  }

  /** Replaces whatever {@code context} was set up with by one appender to standard error. */
  static void configure(LoggerContext context, LogFormat format) {
    context.reset();
    ConsoleAppender<ILoggingEvent> console = new ConsoleAppender<>();
    console.setContext(context);
    console.setName("stderr");
    console.setTarget("System.err");
    LogEncoder encoder = new LogEncoder(format);
    encoder.setContext(context);
    encoder.start();
    console.setEncoder(encoder);
    console.start();
    // Levels set in Logback also decide which java.util.logging records are made at all.
    LevelChangePropagator propagator = new LevelChangePropagator();
    propagator.setContext(context);
    propagator.setResetJUL(true);
    context.addListener(propagator);
    propagator.start();
    Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
    root.setLevel(level());
    root.addAppender(console);
  }

  /**
   * The root level. {@code org.slf4j.simpleLogger.defaultLogLevel} is still read when {@code
   * cvmfs.log.level} is not set: deployments made before the switch to Logback pass it.
   */
  static Level level() {
    String name = System.getProperty("cvmfs.log.level",
        System.getProperty("org.slf4j.simpleLogger.defaultLogLevel", DEFAULT_LEVEL));
    return Level.toLevel(name.strip(), Level.INFO);
  }

  /** Sends what the JDK and libraries log through java.util.logging to SLF4J, in the same format. */
  static void bridgeJavaUtilLogging() {
    if (!SLF4JBridgeHandler.isInstalled()) {
      SLF4JBridgeHandler.removeHandlersForRootLogger();
      SLF4JBridgeHandler.install();
    }
  }

  /**
   * Names as {@code java.util.logging.config.class}: makes java.util.logging send everything to
   * SLF4J from the start, at INFO and above, for processes (such as test runs) that do not call
   * {@link #configure}.
   */
  public static final class JavaUtilLoggingToSlf4j {
    public JavaUtilLoggingToSlf4j() {
      String properties = "handlers=" + SLF4JBridgeHandler.class.getName() + "\n.level=INFO\n";
      try {
        LogManager.getLogManager().readConfiguration(
            new ByteArrayInputStream(properties.getBytes(StandardCharsets.UTF_8)));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
