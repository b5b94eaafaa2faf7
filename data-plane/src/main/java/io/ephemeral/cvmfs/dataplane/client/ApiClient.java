package io.ephemeral.cvmfs.dataplane.client;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;

/**
 * The publish API over HTTP/1.1, with the repository's token when there is one. Requests with
 * small bodies are sent through {@link Retrying}; uploads are sent by {@link Push}, which opens
 * the body afresh for every attempt.
 */
public final class ApiClient {

  /** How long a small request may wait for its answer; uploads wait as long as they take. */
  static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(60);

  private final HttpClient http;
  private final String token;
  private final Retrying retrying;

  public ApiClient(String token, Retrying retrying) {
    this(HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .followRedirects(HttpClient.Redirect.NEVER)
        .connectTimeout(Duration.ofSeconds(10))
        .build(), token, retrying);
  }

  public ApiClient(HttpClient http, String token, Retrying retrying) {
    this.http = http;
    this.token = token;
    this.retrying = retrying;
  }

  public Retrying retrying() {
    return retrying;
  }

  /** Sends one request as it is, with the token; no retries. */
  public ApiResponse send(HttpRequest.Builder request) throws IOException, InterruptedException {
    request.header("User-Agent", "cvmfs-ephemeral client");
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    Optional<Long> retryAfter = response.headers().firstValue("Retry-After").flatMap(ApiClient::seconds);
    return new ApiResponse(response.statusCode(), response.body(), retryAfter, response.headers().firstValue("Location"));
  }

  /**
   * The target as its repository's writer takes it. A replica that only follows the repository
   * answers its API with 307 to the writer; the client then sends the whole command there, token
   * included, rather than each request (an upload read from stdin could not be sent twice).
   */
  public Target writerOf(Target target) throws ClientFailure, InterruptedException {
    URI repository = target.repositoryApi();
    ApiResponse response = retrying.run("GET " + repository, true,
        attempt -> send(HttpRequest.newBuilder(repository).timeout(REQUEST_TIMEOUT).GET()));
    if (response.status() != 307 || response.location().isEmpty() || !isNotTheWriter(response)) {
      return target;
    }
    String location = response.location().get();
    String suffix = repository.getRawPath().substring(target.base().getRawPath().length());
    if (!location.endsWith(suffix)) {
      throw ClientFailure.refused("GET " + repository + ": redirected to " + location + ", not to the same repository");
    }
    return new Target(URI.create(location.substring(0, location.length() - suffix.length())), target.fqrn(),
        target.path());
  }

  /**
   * Sends a request with an optional JSON body, retrying transient failures, and returns the
   * answer's JSON.
   *
   * @throws ClientFailure when the server refuses ({@link ClientFailure.Kind#REFUSED}, with its detail)
   *     or stays unreachable
   */
  public JsonNode call(String method, URI uri, String json) throws ClientFailure, InterruptedException {
    String what = method + " " + uri;
    ApiResponse response = retrying.run(what, true, attempt -> {
      HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(REQUEST_TIMEOUT)
          .method(method, json == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(json));
      if (json != null) {
        request.header("Content-Type", "application/json");
      }
      return send(request);
    });
    return parse(what, response);
  }

  private static boolean isNotTheWriter(ApiResponse response) {
    try {
      return "not_the_writer".equals(response.json().path("error").asText());
    } catch (IOException notJson) {
      return false;
    }
  }

  /** The JSON of a good answer; a refusal with the server's detail otherwise. */
  static JsonNode parse(String what, ApiResponse response) throws ClientFailure {
    if (!response.ok()) {
      throw ClientFailure.refused(what + ": " + response.describeFailure());
    }
    try {
      return response.json();
    } catch (IOException e) {
      throw ClientFailure.refused(what + ": the answer is not JSON: " + e.getMessage());
    }
  }

  private static Optional<Long> seconds(String value) {
    try {
      return Optional.of(Math.max(0, Long.parseLong(value.strip())));
    } catch (NumberFormatException httpDate) {
      return Optional.empty();
    }
  }
}
