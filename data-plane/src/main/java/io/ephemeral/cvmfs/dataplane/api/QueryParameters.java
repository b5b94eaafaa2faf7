package io.ephemeral.cvmfs.dataplane.api;

import io.ephemeral.cvmfs.dataplane.api.InvalidParameterException.Location;
import io.ephemeral.cvmfs.dataplane.api.InvalidParameterException.Problem;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/**
 * The query string of a request, decoded strictly, and the typed parameters endpoints declare.
 * Every parameter of the API is read here, so a flag accepts the same spellings everywhere and a
 * malformed value is refused rather than read as a default.
 *
 * <p>Parameters an endpoint does not declare are ignored: clients add cache busters and tracing
 * ids, and the earlier service ignored them too. A declared parameter given twice must mean the
 * same both times.
 */
final class QueryParameters {

  static final String FLAG_SPELLINGS = "true, false, 1, 0, yes, no";

  private final Map<String, List<String>> values;

  private QueryParameters(Map<String, List<String>> values) {
    this.values = values;
  }

  /**
   * Decodes {@code rawQuery}, the part of the request target after {@code ?} (null for none).
   *
   * @throws IllegalArgumentException for a malformed percent escape or bytes that are not UTF-8
   */
  static QueryParameters parse(String rawQuery) {
    Map<String, List<String>> values = new LinkedHashMap<>();
    if (rawQuery != null) {
      for (String pair : rawQuery.split("&")) {
        if (pair.isEmpty()) {
          continue;
        }
        int equals = pair.indexOf('=');
        String name = UrlPaths.decodeQueryComponent(equals < 0 ? pair : pair.substring(0, equals));
        String value = equals < 0 ? "" : UrlPaths.decodeQueryComponent(pair.substring(equals + 1));
        values.computeIfAbsent(name, n -> new ArrayList<>()).add(value);
      }
    }
    return new QueryParameters(values);
  }

  /** The value of {@code parameter}, or its default when absent. */
  <T> T get(Parameter<T> parameter) {
    List<String> given = values.get(parameter.name());
    if (given == null) {
      if (parameter.required()) {
        throw InvalidParameterException.missing(Location.QUERY, parameter.name(), parameter.type());
      }
      return parameter.absent();
    }
    T value = parameter.read(given.get(0), Location.QUERY);
    for (String other : given.subList(1, given.size())) {
      if (!Objects.equals(value, parameter.read(other, Location.QUERY))) {
        throw new InvalidParameterException(Location.QUERY, parameter.name(), Problem.CONFLICTING, parameter.type(),
            parameter.name() + " is given more than once with different values");
      }
    }
    return value;
  }

  /** A flag, false when absent. */
  static Parameter<Boolean> flag(String name) {
    return new Parameter<>(name, "flag", text -> switch (text.toLowerCase(Locale.ROOT)) {
      case "true", "1", "yes" -> true;
      case "false", "0", "no" -> false;
      default -> throw new IllegalArgumentException(name + " must be one of " + FLAG_SPELLINGS);
    }, false, false);
  }

  /** A whole number; {@code absent} null makes it required. */
  static Parameter<Long> integer(String name, Long absent) {
    return new Parameter<>(name, "integer", text -> {
      try {
        return Long.parseLong(text);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(name + " must be an integer");
      }
    }, absent, absent == null);
  }

  /** Free text, null when absent; what it means is checked where it is used. */
  static Parameter<String> text(String name) {
    return of(name, "text", Function.identity());
  }

  /** A value {@code reader} makes of the text, null when absent; the reader throws IllegalArgumentException to refuse it. */
  static <T> Parameter<T> of(String name, String type, Function<String, T> reader) {
    return new Parameter<>(name, type, reader, null, false);
  }

  /**
   * A declared parameter: its name, what it should be, how its text is read, and its value when
   * absent unless required.
   */
  record Parameter<T>(String name, String type, Function<String, T> reader, T absent, boolean required) {

    /** Reads {@code text} found at {@code location}. */
    T read(String text, Location location) {
      try {
        return reader.apply(text);
      } catch (InvalidParameterException e) {
        throw e;
      } catch (IllegalArgumentException e) {
        throw new InvalidParameterException(location, name, Problem.MALFORMED, type, e.getMessage());
      }
    }
  }
}
