package io.ephemeral.cvmfs.dataplane.cli;

import java.util.Locale;
import picocli.CommandLine;

/** Reads sizes such as {@code 4194304}, {@code 512KiB}, {@code 8MiB} or {@code 2GiB}. */
final class ByteSizeConverter implements CommandLine.ITypeConverter<Long> {

  @Override
  public Long convert(String value) {
    return parse(value, false);
  }

  /** Also reads {@code 0}, for sizes where zero turns something off. */
  static final class OrZero implements CommandLine.ITypeConverter<Long> {
    @Override
    public Long convert(String value) {
      return parse(value, true);
    }
  }

  private static long parse(String value, boolean zeroAllowed) {
    String text = value.trim();
    String lower = text.toLowerCase(Locale.ROOT);
    long factor = 1;
    if (lower.endsWith("kib")) {
      factor = 1L << 10;
    } else if (lower.endsWith("mib")) {
      factor = 1L << 20;
    } else if (lower.endsWith("gib")) {
      factor = 1L << 30;
    } else if (lower.endsWith("tib")) {
      factor = 1L << 40;
    }
    String digits = factor == 1 ? text : text.substring(0, text.length() - 3).trim();
    try {
      long bytes = Math.multiplyExact(Long.parseLong(digits), factor);
      if (bytes < 0 || bytes == 0 && !zeroAllowed) {
        throw new CommandLine.TypeConversionException("size out of range: " + value);
      }
      return bytes;
    } catch (NumberFormatException | ArithmeticException e) {
      throw new CommandLine.TypeConversionException("not a size: '" + value + "' (use bytes, KiB, MiB, GiB or TiB, e.g. 4MiB)");
    }
  }
}
