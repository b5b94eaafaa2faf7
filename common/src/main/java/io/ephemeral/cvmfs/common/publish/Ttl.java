package io.ephemeral.cvmfs.common.publish;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parses time-to-live values: seconds, or a number with {@code s}, {@code m}, {@code h} or {@code d}. */
public final class Ttl {

  private static final Pattern FORM = Pattern.compile("(\\d{1,12})([smhd]?)");

  private Ttl() {}

  public static Duration parse(String text) {
    Matcher matcher = FORM.matcher(text == null ? "" : text.trim());
    if (!matcher.matches()) {
      throw new IllegalArgumentException("invalid TTL '" + text + "': use seconds or a number with s, m, h or d, e.g. 2h");
    }
    long amount = Long.parseLong(matcher.group(1));
    Duration ttl = switch (matcher.group(2)) {
      case "m" -> Duration.ofMinutes(amount);
      case "h" -> Duration.ofHours(amount);
      case "d" -> Duration.ofDays(amount);
      default -> Duration.ofSeconds(amount);
    };
    if (ttl.isZero()) {
      throw new IllegalArgumentException("invalid TTL '" + text + "': must be more than zero");
    }
    return ttl;
  }
}
