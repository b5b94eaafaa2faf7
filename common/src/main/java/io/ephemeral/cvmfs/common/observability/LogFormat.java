package io.ephemeral.cvmfs.common.observability;

import java.util.Locale;

/** How log lines are written: for people reading a terminal, or for a log collector. */
public enum LogFormat {
  /** {@code 2026-01-02T03:04:05.678Z INFO  logger - message key=value} */
  TEXT,
  /** One JSON object per line, the event's key-value pairs as fields of their own. */
  JSON;

  /** {@code text} or {@code json}, in any case. */
  public static LogFormat parse(String name) {
    String normalized = name == null ? "" : name.strip().toLowerCase(Locale.ROOT);
    return switch (normalized) {
      case "text" -> TEXT;
      case "json" -> JSON;
      default -> throw new IllegalArgumentException("unknown log format '" + name + "': use text or json");
    };
  }

  @Override
  public String toString() {
    return name().toLowerCase(Locale.ROOT);
  }
}
