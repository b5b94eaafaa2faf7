package io.ephemeral.cvmfs.dataplane.testsupport;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ephemeral.cvmfs.dataplane.server.DataPlane;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Supplier;

/**
 * One repository of a data plane a test started, reached over real HTTP with its token: the
 * requests of an API test in one line each. The data plane is asked for on every request, so a
 * test may restart it.
 */
public final class RepositoryApi {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final Supplier<DataPlane> dataPlane;
  private final String repo;
  private final String token;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  /** The repository {@code repo} of the data plane {@code dataPlane} serves from {@code data} (its token in {@code data/keys}). */
  public RepositoryApi(Supplier<DataPlane> dataPlane, Path data, String repo) throws IOException {
    this.dataPlane = dataPlane;
    this.repo = repo;
    this.token = Files.readString(data.resolve("keys").resolve(repo + ".token")).strip();
  }

  /** {@code METHOD /api/v1/repos/REPO{path}} with the token and {@code json} (may be null) as body. */
  public HttpResponse<String> send(String method, String path, String json) throws Exception {
    return send(HttpRequest.newBuilder(uri("/api/v1/repos/" + repo + path)).method(method,
        json == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(json)));
  }

  /** {@code PUT /api/v1/repos/REPO/paths/{path}{query}} with {@code body}. */
  public HttpResponse<String> put(String path, byte[] body, String query) throws Exception {
    return send(HttpRequest.newBuilder(uri("/api/v1/repos/" + repo + "/paths/" + path + query))
        .PUT(HttpRequest.BodyPublishers.ofByteArray(body)));
  }

  /** Any request, with the token. */
  public HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
    return http.send(request.header("Authorization", "Bearer " + token).timeout(Duration.ofSeconds(60)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** The same request without a token. */
  public HttpResponse<String> sendWithoutToken(HttpRequest.Builder request) throws Exception {
    return http.send(request.timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString());
  }

  /** The bytes served at {@code path} (e.g. {@code /cvmfs/REPO/.cvmfspublished}), fetched without the token. */
  public byte[] bytes(String path) throws Exception {
    return http.send(HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(60)).build(),
        HttpResponse.BodyHandlers.ofByteArray()).body();
  }

  public URI uri(String path) {
    return URI.create(base() + path);
  }

  public String base() {
    return "http://127.0.0.1:" + dataPlane.get().port();
  }

  /** The served repository, e.g. for a {@code RepositoryReader}. */
  public URI served() {
    return uri("/cvmfs/" + repo);
  }

  public static JsonNode json(HttpResponse<String> response) throws IOException {
    return JSON.readTree(response.body());
  }
}
