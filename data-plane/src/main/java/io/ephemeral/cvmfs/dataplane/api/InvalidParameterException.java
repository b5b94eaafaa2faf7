package io.ephemeral.cvmfs.dataplane.api;

import io.netty.handler.codec.http.HttpResponseStatus;

/**
 * A request parameter that is missing, malformed or given twice with different values. Each API
 * family words it its own way; the v1 API answers 400 {@code invalid_parameter}.
 */
final class InvalidParameterException extends IllegalArgumentException {

  /** Where the parameter was looked for. */
  enum Location { QUERY, BODY }

  /** What is wrong with it. */
  enum Problem { MISSING, MALFORMED, CONFLICTING }

  private final Location location;
  private final String name;
  private final Problem problem;
  private final String type;

  /**
   * @param type what the parameter should be ({@code flag}, {@code integer}, {@code text}, ...)
   */
  InvalidParameterException(Location location, String name, Problem problem, String type, String message) {
    super(message);
    this.location = location;
    this.name = name;
    this.problem = problem;
    this.type = type;
  }

  static InvalidParameterException missing(Location location, String name, String type) {
    return new InvalidParameterException(location, name, Problem.MISSING, type, name + " is required");
  }

  Location location() {
    return location;
  }

  String name() {
    return name;
  }

  Problem problem() {
    return problem;
  }

  String type() {
    return type;
  }

  ApiError error() {
    return ApiError.of(HttpResponseStatus.BAD_REQUEST, "invalid_parameter", getMessage());
  }
}
