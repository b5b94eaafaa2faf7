package io.ephemeral.cvmfs.dataplane.client;

import java.time.Duration;
import java.util.Locale;

/** Sizes, rates and durations as people read them. */
public final class Units {

  private static final String[] BINARY = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};

  private Units() {}

  /** {@code 512 B}, {@code 1.5 KiB}, {@code 12.0 MiB}. */
  public static String bytes(long bytes) {
    if (bytes < 1024) {
      return bytes + " B";
    }
    double value = bytes;
    int unit = 0;
    while (value >= 1024 && unit < BINARY.length - 1) {
      value /= 1024;
      unit++;
    }
    return String.format(Locale.ROOT, "%.1f %s", value, BINARY[unit]);
  }

  /** {@code 3.2 MiB/s}. */
  public static String rate(double bytesPerSecond) {
    return bytes(Math.round(bytesPerSecond)) + "/s";
  }

  /** {@code 850ms}, {@code 4s}, {@code 2m05s}, {@code 1h02m}. */
  public static String duration(Duration duration) {
    long seconds = duration.toSeconds();
    if (seconds == 0 && !duration.isZero()) {
      return duration.toMillis() + "ms";
    }
    if (seconds < 60) {
      return seconds + "s";
    }
    if (seconds < 3600) {
      return String.format(Locale.ROOT, "%dm%02ds", seconds / 60, seconds % 60);
    }
    return String.format(Locale.ROOT, "%dh%02dm", seconds / 3600, seconds % 3600 / 60);
  }
}
