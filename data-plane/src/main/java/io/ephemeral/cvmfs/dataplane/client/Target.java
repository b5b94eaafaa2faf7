package io.ephemeral.cvmfs.dataplane.client;

import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * What a client command names: {@code http://HOST[:PORT][/PREFIX]/FQRN[/PATH]}. The repository
 * name is the first path segment with a dot in it; what comes before it is the server's base
 * (a prefix behind a reverse proxy), what follows the path inside the repository.
 *
 * @param base the server's base URL, without a trailing slash
 * @param fqrn the repository name
 * @param path the path inside the repository without leading or trailing slashes; empty for none
 */
public record Target(URI base, String fqrn, String path) {

  public static Target parse(String text) {
    URI uri;
    try {
      uri = URI.create(text);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("'" + text + "' is not a URL: " + e.getMessage());
    }
    if (!"http".equalsIgnoreCase(uri.getScheme()) && !"https".equalsIgnoreCase(uri.getScheme())
        || uri.getRawAuthority() == null) {
      throw new IllegalArgumentException("'" + text + "' is not an http:// or https:// URL");
    }
    if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
      throw new IllegalArgumentException("'" + text + "' has a query or fragment; expected URL/FQRN/PATH");
    }
    String[] segments = Arrays.stream(uri.getPath() == null ? new String[0] : uri.getPath().split("/"))
        .filter(s -> !s.isEmpty()).toArray(String[]::new);
    for (int i = 0; i < segments.length; i++) {
      if (segments[i].contains(".")) {
        String prefix = Arrays.stream(segments, 0, i).map(s -> "/" + s).collect(Collectors.joining());
        String path = String.join("/", Arrays.copyOfRange(segments, i + 1, segments.length));
        return new Target(URI.create(uri.getScheme() + "://" + uri.getRawAuthority() + prefix), segments[i], path);
      }
    }
    throw new IllegalArgumentException("'" + text + "' names no repository: expected URL/FQRN[/PATH], "
        + "e.g. http://server:8080/builds.example.org/pipelines/42");
  }

  /** This target, which must name a path. */
  public Target requirePath() {
    if (path.isEmpty()) {
      throw new IllegalArgumentException(this + " names no path inside " + fqrn + ": expected URL/FQRN/PATH");
    }
    return this;
  }

  /** {@code BASE/api/v1/repos/FQRN}. */
  public URI repositoryApi() {
    return URI.create(base + "/api/v1/repos/" + encode(fqrn));
  }

  /** {@code BASE/api/v1/repos/FQRN/paths}. */
  public URI pathsApi() {
    return URI.create(repositoryApi() + "/paths");
  }

  /** {@code BASE/api/v1/repos/FQRN/paths/PATH?QUERY}; {@code query} may be empty. */
  public URI pathApi(String query) {
    String encoded = Arrays.stream(path.split("/")).map(Target::encode).collect(Collectors.joining("/"));
    return URI.create(pathsApi() + "/" + encoded + (query.isEmpty() ? "" : "?" + query));
  }

  /** {@code BASE/cvmfs/FQRN}: the repository as the CernVM-FS client reads it. */
  public URI repositoryUrl() {
    return URI.create(base + "/cvmfs/" + encode(fqrn));
  }

  /** A query parameter, encoded. */
  public static String parameter(String name, String value) {
    return name + "=" + URLEncoder.encode(value, StandardCharsets.UTF_8);
  }

  private static String encode(String segment) {
    return URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20");
  }

  @Override
  public String toString() {
    return base + "/" + fqrn + (path.isEmpty() ? "" : "/" + path);
  }
}
