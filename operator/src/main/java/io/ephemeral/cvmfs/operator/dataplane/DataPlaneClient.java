package io.ephemeral.cvmfs.operator.dataplane;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest.BodyPublisher;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse.BodyHandlers;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;

/** The data plane's HTTP API, as the operator and the maintenance job use it. */
public final class DataPlaneClient {

  private static final ObjectMapper JSON = new ObjectMapper();
  /** A follower sends a write to the writer, which may have lost the lease meanwhile; a few hops, no loop. */
  private static final int MAX_REDIRECTS = 3;

  private final HttpClient http;
  private final Duration timeout;

  public DataPlaneClient(Duration connectTimeout, Duration timeout) {
    this.http = HttpClient.newBuilder().connectTimeout(connectTimeout).build();
    this.timeout = timeout;
  }

  public RepositoryInfo repository(URI base, String fqrn) throws DataPlaneException {
    return RepositoryInfo.fromJson(send(request(base, "/api/v1/repos/" + fqrn, null).GET()));
  }

  /**
   * Starts a publish that the data plane answers before it is done ({@code Prefer:
   * respond-async}), so that no caller's thread waits while a large source downloads; {@link
   * #operation} follows it.
   */
  public PublishOperation startPublish(URI base, String fqrn, String path, String token, PublishRequest publish)
      throws DataPlaneException {
    return PublishOperation.fromJson(send(request(base, paths(fqrn, path), token)
        .header("Prefer", "respond-async")
        .POST(json(publish.toJson(JSON.createObjectNode())))));
  }

  /** An operation {@link #startPublish} started; empty when the data plane does not know it (it restarted). */
  public Optional<PublishOperation> operation(URI base, String fqrn, String token, String id) throws DataPlaneException {
    return sendUnlessNotFound(request(base, "/api/v1/repos/" + fqrn + "/operations/" + id, token).GET())
        .map(PublishOperation::fromJson);
  }

  public Optional<PublicationInfo> publication(URI base, String fqrn, String path) throws DataPlaneException {
    return sendUnlessNotFound(request(base, paths(fqrn, path), null).GET()).map(PublicationInfo::fromJson);
  }

  public PublicationInfo setTtl(URI base, String fqrn, String path, String token, String ttl) throws DataPlaneException {
    ObjectNode body = JSON.createObjectNode().put("ttl", ttl);
    return PublicationInfo.fromJson(send(request(base, paths(fqrn, path), token).method("PATCH", json(body))));
  }

  /** Removes a publication; returns false when there was none. */
  public boolean delete(URI base, String fqrn, String path, String token) throws DataPlaneException {
    return sendUnlessNotFound(request(base, paths(fqrn, path), token).DELETE()).isPresent();
  }

  /** Names the current revision {@code name} ({@code POST .../tags}); 409 when the name is taken. */
  public long tag(URI base, String fqrn, String token, String name, String description) throws DataPlaneException {
    ObjectNode body = JSON.createObjectNode().put("name", name).put("description", description);
    return send(request(base, "/api/v1/repos/" + fqrn + "/tags", token).POST(json(body))).path("revision").asLong();
  }

  public JsonNode collectGarbage(URI base, String fqrn, String token) throws DataPlaneException {
    return send(request(base, "/api/v1/repos/" + fqrn + "/gc", token).POST(BodyPublishers.noBody()));
  }

  public JsonNode putWhitelist(URI base, String fqrn, String token, byte[] whitelist) throws DataPlaneException {
    return send(request(base, "/api/v1/repos/" + fqrn + "/whitelist", token).PUT(BodyPublishers.ofByteArray(whitelist)));
  }

  private static String paths(String fqrn, String path) {
    return "/api/v1/repos/" + fqrn + "/paths/" + path;
  }

  private HttpRequest.Builder request(URI base, String path, String token) {
    String root = base.toString().endsWith("/") ? base.toString().substring(0, base.toString().length() - 1) : base.toString();
    HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(root + path)).timeout(timeout)
        .header("Accept", "application/json");
    if (token != null) {
      builder.header("Authorization", "Bearer " + token);
    }
    return builder;
  }

  private static BodyPublisher json(ObjectNode body) {
    return BodyPublishers.ofString(body.toString());
  }

  /**
   * Behind the Service a request may reach a follower replica of a repository in a bucket, which
   * answers a write with 307 (or 308) to the writer's own address. The JDK's client would follow it
   * without the token, as it must for a host it knows nothing of; here both ends are the
   * repository's own data plane, so the same method, body and token go there.
   */
  private static boolean isRedirect(HttpResponse<String> response) {
    return (response.statusCode() == 307 || response.statusCode() == 308)
        && response.headers().firstValue("Location").isPresent();
  }

  private static HttpRequest redirected(HttpRequest request, HttpResponse<String> response)
      throws DataPlaneException {
    String location = response.headers().firstValue("Location").orElseThrow();
    try {
      return HttpRequest.newBuilder(request, (name, value) -> true).uri(request.uri().resolve(location)).build();
    } catch (IllegalArgumentException e) {
      throw new DataPlaneException(response.statusCode(), "bad_redirect", "the data plane at "
          + request.uri().getAuthority() + " redirected to " + location + ", which is no http or https URL");
    }
  }

  /** The answer's body, or empty on 404. */
  private Optional<JsonNode> sendUnlessNotFound(HttpRequest.Builder builder) throws DataPlaneException {
    try {
      return Optional.of(send(builder));
    } catch (DataPlaneException e) {
      if (e.status() == 404) {
        return Optional.empty();
      }
      throw e;
    }
  }

  private JsonNode send(HttpRequest.Builder builder) throws DataPlaneException {
    HttpRequest request = builder.build();
    HttpResponse<String> response;
    try {
      response = http.send(request, BodyHandlers.ofString());
      for (int hop = 0; hop < MAX_REDIRECTS && isRedirect(response); hop++) {
        request = redirected(request, response);
        response = http.send(request, BodyHandlers.ofString());
      }
    } catch (IOException e) {
      throw new DataPlaneException(0, "unreachable", "the data plane at " + request.uri().getAuthority()
          + " did not answer: " + e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new DataPlaneException(0, "interrupted", "interrupted while calling the data plane");
    }
    JsonNode body;
    try {
      body = response.body().isEmpty() ? JSON.createObjectNode() : JSON.readTree(response.body());
    } catch (IOException e) {
      body = JSON.createObjectNode().put("detail", response.body());
    }
    if (response.statusCode() / 100 != 2) {
      throw new DataPlaneException(response.statusCode(), body.path("error").asText("http_" + response.statusCode()),
          body.path("detail").asText("HTTP " + response.statusCode()));
    }
    return body;
  }
}
