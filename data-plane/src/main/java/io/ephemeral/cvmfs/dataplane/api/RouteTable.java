package io.ephemeral.cvmfs.dataplane.api;

import io.ephemeral.cvmfs.dataplane.api.QueryParameters.Parameter;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * A family of API endpoints, each declared on one line: method, path pattern, who may call it,
 * how its body is read, the query parameters it takes, and its action. {@link TableRoute} serves
 * a table; this class only matches paths.
 *
 * <p>A pattern is a path of literal segments, {@code {name}} (one non-empty segment) and, last,
 * {@code {name...}} (the rest of the path, slashes included). A variable named {@code repo} is
 * the repository, one named {@code path} a path inside it. Endpoints are tried in the order
 * declared, so a literal route goes before a variable one with the same shape.
 */
public final class RouteTable {

  /** Who may call an endpoint. */
  enum Access {
    /** Anyone; the repository, if the pattern names one, must exist. */
    PUBLIC,
    /** The holder of the repository's token. */
    TOKEN,
    /** The holder of the token of any repository: endpoints acting on all of them. */
    ANY_TOKEN
  }

  /** How the body of a request is read before, or while, the action runs. */
  enum Body {
    /** None expected; one sent anyway is dropped. */
    NONE,
    /** Handed to the action as a stream while it arrives, whatever its size. */
    STREAMED,
    /** Collected whole (at most {@link #MAX_SMALL_BODY} bytes) and parsed as a JSON object. */
    JSON,
    /** Collected whole (at most {@link #MAX_SMALL_BODY} bytes). */
    BYTES,
    /** A multipart form; files beyond a small size are written to the repository's scratch folder. */
    FORM
  }

  static final int MAX_SMALL_BODY = 64 * 1024;

  /** What an endpoint does, on a worker thread; throws to answer with an error. */
  interface Action {
    void run(ApiCall call) throws Exception;
  }

  /** How a family of endpoints checks access and words its errors. */
  interface Dialect {

    /** Why {@code call} may not go on, if it may not. */
    Optional<ApiError> refusal(Endpoint endpoint, ApiCall call);

    ApiError notFound(String path);

    ApiError methodNotAllowed(HttpMethod method);

    /** Writes {@code error}, with {@code headers} added. */
    void answer(ChannelHandlerContext ctx, ApiError error, boolean keepAlive, HttpHeaders headers);

    /** Writes the answer to a bad parameter; by default {@link InvalidParameterException#error()}. */
    default void answer(ChannelHandlerContext ctx, InvalidParameterException invalid, boolean keepAlive) {
      answer(ctx, invalid.error(), keepAlive, null);
    }
  }

  /** One declared endpoint. */
  record Endpoint(HttpMethod method, Pattern pattern, Access access, Body body, List<Parameter<?>> parameters,
      Action action) {

    /** A low-cardinality name for metrics and logs, e.g. {@code PUT /api/v1/repos/{repo}/paths/{path...}}. */
    String label() {
      return method + " " + pattern.text();
    }
  }

  /**
   * What a path is to the table: an endpoint with the values of its variables, or only the
   * methods the path allows (405), or nothing (404).
   */
  record Match(Endpoint endpoint, Map<String, String> variables, Set<HttpMethod> allowed) {}

  private final Dialect dialect;
  private final List<String> ownedPrefixes;
  private final List<Endpoint> endpoints;
  private final Function<String, Path> formFiles;

  private RouteTable(Dialect dialect, List<String> ownedPrefixes, List<Endpoint> endpoints,
      Function<String, Path> formFiles) {
    this.dialect = dialect;
    this.ownedPrefixes = List.copyOf(ownedPrefixes);
    this.endpoints = List.copyOf(endpoints);
    this.formFiles = formFiles;
  }

  static Builder builder(Dialect dialect) {
    return new Builder(dialect);
  }

  Dialect dialect() {
    return dialect;
  }

  /** Where the files of a form posted to {@code repo} go. */
  Path formFiles(String repo) {
    return Objects.requireNonNull(formFiles, "no folder for form files").apply(repo);
  }

  /** Whether {@code path} (raw or decoded) lies where this table answers 404 for what it does not know. */
  boolean owns(String path) {
    return ownedPrefixes.stream().anyMatch(path::startsWith);
  }

  /** What {@code path} (decoded) is to this table, or empty if it is not the table's to answer. */
  Optional<Match> match(HttpMethod method, String path) {
    Endpoint chosen = null;
    Map<String, String> variables = null;
    Set<HttpMethod> allowed = new LinkedHashSet<>();
    for (Endpoint endpoint : endpoints) {
      Map<String, String> values = endpoint.pattern().match(path);
      if (values == null) {
        continue;
      }
      allowed.add(endpoint.method());
      if (chosen == null && endpoint.method().equals(method)) {
        chosen = endpoint;
        variables = values;
      }
    }
    if (chosen == null && allowed.isEmpty() && !owns(path)) {
      return Optional.empty();
    }
    return Optional.of(new Match(chosen, variables, allowed));
  }

  /** A path pattern: literal segments and variables. */
  record Pattern(String text, List<String> segments) {

    static Pattern parse(String text) {
      if (!text.startsWith("/")) {
        throw new IllegalArgumentException("a pattern starts with /: " + text);
      }
      List<String> segments = Arrays.asList(text.substring(1).split("/", -1));
      for (int i = 0; i < segments.size() - 1; i++) {
        if (segments.get(i).endsWith("...}")) {
          throw new IllegalArgumentException("only the last segment may take the rest of the path: " + text);
        }
      }
      return new Pattern(text, List.copyOf(segments));
    }

    /** The values of the variables if {@code path} matches, else null. */
    Map<String, String> match(String path) {
      if (!path.startsWith("/")) {
        return null;
      }
      String[] parts = path.substring(1).split("/", -1);
      Map<String, String> values = new LinkedHashMap<>();
      for (int i = 0; i < segments.size(); i++) {
        String segment = segments.get(i);
        if (i >= parts.length) {
          return null;
        }
        if (segment.startsWith("{") && segment.endsWith("...}")) {
          values.put(segment.substring(1, segment.length() - 4), String.join("/", Arrays.asList(parts).subList(i, parts.length)));
          return values;
        }
        if (segment.startsWith("{") && segment.endsWith("}")) {
          if (parts[i].isEmpty()) {
            return null;
          }
          values.put(segment.substring(1, segment.length() - 1), parts[i]);
        } else if (!segment.equals(parts[i])) {
          return null;
        }
      }
      return parts.length == segments.size() ? values : null;
    }
  }

  static final class Builder {
    private final Dialect dialect;
    private final List<String> ownedPrefixes = new ArrayList<>();
    private final List<Endpoint> endpoints = new ArrayList<>();
    private Function<String, Path> formFiles;

    private Builder(Dialect dialect) {
      this.dialect = Objects.requireNonNull(dialect, "dialect");
    }

    /** Paths under {@code prefix} that match no endpoint are answered 404 here rather than passed on. */
    Builder owning(String prefix) {
      ownedPrefixes.add(prefix);
      return this;
    }

    /** Where the files of forms posted to a repository go. */
    Builder formFilesIn(Function<String, Path> folder) {
      formFiles = folder;
      return this;
    }

    Builder add(HttpMethod method, String pattern, Access access, Body body, Action action, Parameter<?>... parameters) {
      endpoints.add(new Endpoint(method, Pattern.parse(pattern), access, body, List.of(parameters), action));
      return this;
    }

    RouteTable build() {
      return new RouteTable(dialect, ownedPrefixes, endpoints, formFiles);
    }
  }
}
