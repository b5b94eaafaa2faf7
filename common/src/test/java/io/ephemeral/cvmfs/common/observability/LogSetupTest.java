package io.ephemeral.cvmfs.common.observability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import org.slf4j.event.KeyValuePair;

class LogSetupTest {

  private static LoggingEvent event(Throwable thrown) {
    LoggerContext context = new LoggerContext();
    LoggingEvent event = new LoggingEvent(LogSetupTest.class.getName(), context.getLogger("test.logger"), Level.WARN,
        "hello {}", thrown, new Object[] {"world"});
    event.setTimeStamp(1_700_000_000_123L);
    event.addKeyValuePair(new KeyValuePair("repository", "a.example.org"));
    event.addKeyValuePair(new KeyValuePair("bytes", 42L));
    event.addKeyValuePair(new KeyValuePair("detail", "two words \"quoted\""));
    event.addKeyValuePair(new KeyValuePair("path", null));
    event.addKeyValuePair(new KeyValuePair("message", "clash"));
    return event;
  }

  @Test
  void textHasTheTimestampLevelLoggerMessageAndPairs() {
    String line = new String(new LogEncoder(LogFormat.TEXT).encode(event(null)), StandardCharsets.UTF_8);
    assertEquals("2023-11-14T22:13:20.123Z WARN  test.logger - hello world repository=a.example.org bytes=42"
        + " detail=\"two words \\\"quoted\\\"\" path=\"\" message=clash" + System.lineSeparator(), line);
  }

  @Test
  void jsonIsOneObjectPerLineWithThePairsAtTopLevel() throws Exception {
    byte[] encoded = new LogEncoder(LogFormat.JSON).encode(event(new IllegalStateException("boom")));
    String text = new String(encoded, StandardCharsets.UTF_8);
    assertTrue(text.endsWith("\n") && text.indexOf('\n') == text.length() - 1, text);
    JsonNode json = new ObjectMapper().readTree(text);
    assertEquals("2023-11-14T22:13:20.123Z", json.get("timestamp").asText());
    assertEquals("WARN", json.get("level").asText());
    assertEquals("test.logger", json.get("logger").asText());
    assertEquals("hello world", json.get("message").asText());
    assertEquals("a.example.org", json.get("repository").asText());
    assertEquals(42, json.get("bytes").asLong());
    assertTrue(json.get("bytes").isNumber());
    assertTrue(json.get("path").isNull());
    assertEquals("clash", json.get("kv.message").asText());
    assertTrue(json.get("exception").asText().contains("IllegalStateException: boom"));
  }

  @Test
  void formatsParseInAnyCaseAndNothingElse() {
    assertEquals(LogFormat.JSON, LogFormat.parse(" JSON "));
    assertEquals(LogFormat.TEXT, LogFormat.parse("text"));
    assertThrows(IllegalArgumentException.class, () -> LogFormat.parse("xml"));
  }

  @Test
  void withoutAConfigurationFileStandardErrorGetsTheChosenFormatAtInfo() {
    LoggerContext context = new LoggerContext();
    LogSetup.configure(context, LogFormat.JSON);
    Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
    assertEquals(Level.INFO, root.getLevel());
    ConsoleAppender<?> console = assertInstanceOf(ConsoleAppender.class, root.getAppender("stderr"));
    assertTrue(console.isStarted());
    byte[] line = ((LogEncoder) console.getEncoder()).encode(event(null));
    assertTrue(new String(line, StandardCharsets.UTF_8).startsWith("{\"timestamp\":"));
  }

  @Test
  void aConfigurationFileStaysInCharge() {
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    Level before = context.getLogger(Logger.ROOT_LOGGER_NAME).getLevel();
    LogSetup.configure(LogFormat.JSON); // logback-test.xml set this run up
    assertEquals(before, context.getLogger(Logger.ROOT_LOGGER_NAME).getLevel());
    assertFalse(context.getLogger(Logger.ROOT_LOGGER_NAME).getAppender("stderr") == null);
  }
}
