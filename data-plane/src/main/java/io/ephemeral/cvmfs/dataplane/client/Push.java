package io.ephemeral.cvmfs.dataplane.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ephemeral.cvmfs.common.format.HashAlgorithm;
import io.ephemeral.cvmfs.dataplane.api.JsonResponses;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Publishes a source with {@code PUT /api/v1/repos/FQRN/paths/PATH}, or stages it with
 * {@code POST /api/v1/repos/FQRN/uploads} for a CvmfsPublication to claim, the body streamed: opened
 * afresh for every attempt (a directory is tarred again), with its progress shown, transient
 * failures retried by {@link Retrying}.
 */
public final class Push {

  /**
   * @param ttl the publication's lifetime as the server reads it ({@code 2h}), or null for its default
   * @param stage stage the body as an upload instead of publishing it; the target then names no path
   * @param reuse first ask the server whether it holds the same bytes already, by their SHA-256,
   *     and if so publish them by digest instead of sending them (a source read twice: once to hash)
   */
  public record Request(Target target, UploadSource source, String ttl, boolean overwrite, boolean stage,
      boolean reuse) {

    URI uri(String sha256) {
      return stage ? URI.create(target.repositoryApi() + "/uploads") : target.requirePath().pathApi(query(sha256));
    }

    /** The query of the PUT: ttl, format, overwrite and the body's digest where given. */
    String query(String sha256) {
      List<String> parameters = new ArrayList<>();
      if (sha256 != null) {
        parameters.add("sha256=" + sha256);
      }
      if (ttl != null) {
        parameters.add(Target.parameter("ttl", ttl));
      }
      if (source.format() != null) {
        parameters.add(Target.parameter("format", source.format()));
      }
      if (overwrite) {
        parameters.add("overwrite=true");
      }
      return String.join("&", parameters);
    }
  }

  private final ApiClient api;
  private final ProgressDisplay progress;

  public Push(ApiClient api, ProgressDisplay progress) {
    this.api = api;
    this.progress = progress;
  }

  /**
   * Publishes and returns the server's answer: {@code {path, revision, files, bytes, …}}; or, staging,
   * {@code {id, bytes, sha256}}.
   *
   * @throws ClientFailure refused (with the server's detail), unreachable, or the source unreadable
   */
  public JsonNode run(Request request) throws ClientFailure, InterruptedException {
    String sha256 = null;
    if (request.reuse() && !request.stage() && request.source().rereadable()) {
      sha256 = sha256(request);
      Optional<JsonNode> reused = publishKnown(request, sha256);
      if (reused.isPresent()) {
        return reused.get();
      }
    }
    URI uri = request.uri(sha256);
    String method = request.stage() ? "POST" : "PUT";
    String what = method + " " + uri;
    String label = request.target().fqrn() + (request.stage() ? " upload" : "/" + request.target().path());
    AtomicBoolean answerLost = new AtomicBoolean();
    ApiResponse response = api.retrying().run(what, request.source()::repeatable,
        attempt -> attempt(method, uri, request.source(), label, attempt, answerLost));
    if (response.status() == 409 && answerLost.get() && !request.overwrite()) {
      throw ClientFailure.refused(what + ": " + response.describeFailure() + " (an earlier attempt sent the whole"
          + " body but got no answer, so it may have published it: look with ls)");
    }
    return ApiClient.parse(what, response);
  }

  /** The SHA-256 of the body, read once for it (with its progress shown). */
  private String sha256(Request request) throws ClientFailure {
    MessageDigest digest = HashAlgorithm.jdkDigest("SHA-256");
    try {
      UploadBody opened = request.source().open();
      try (CountingStream body = new CountingStream(opened.stream())) {
        progress.begin("sha256 of " + request.target().fqrn() + "/" + request.target().path(), opened.length(), 1,
            body);
        try (OutputStream sink = new DigestOutputStream(OutputStream.nullOutputStream(), digest)) {
          body.transferTo(sink);
        }
        progress.end("hashed");
      }
    } catch (IOException e) {
      progress.end("failed");
      throw new ClientFailure(ClientFailure.Kind.REFUSED, "cannot read the source: " + e.getMessage(), e);
    }
    return HexFormat.of().formatHex(digest.digest());
  }

  /**
   * Publishes the bytes by their digest if the server holds them already
   * ({@code GET .../sources/sha256:HEX}, then {@code POST .../paths/PATH {"source": …}}).
   */
  private Optional<JsonNode> publishKnown(Request request, String sha256) throws ClientFailure, InterruptedException {
    URI source = URI.create(request.target().repositoryApi() + "/sources/sha256:" + sha256);
    ApiResponse known = api.retrying().run("GET " + source, true,
        attempt -> api.send(HttpRequest.newBuilder(source).timeout(ApiClient.REQUEST_TIMEOUT).GET()));
    if (known.status() == 404) {
      return Optional.empty();
    }
    ApiClient.parse("GET " + source, known);
    ObjectNode body = JsonResponses.JSON.createObjectNode().put("source", "sha256:" + sha256)
        .put("overwrite", request.overwrite());
    if (request.ttl() != null) {
      body.put("ttl", request.ttl());
    }
    return Optional.of(api.call("POST", request.target().requirePath().pathApi(""), body.toString()));
  }

  private ApiResponse attempt(String method, URI uri, UploadSource source, String label, int attempt, AtomicBoolean answerLost)
      throws IOException, InterruptedException {
    UploadBody opened = source.open();
    CountingStream body = new CountingStream(opened.stream());
    AtomicBoolean handedOut = new AtomicBoolean();
    HttpRequest.BodyPublisher publisher = HttpRequest.BodyPublishers.ofInputStream(() -> {
      if (!handedOut.compareAndSet(false, true)) {
        throw new UncheckedIOException(new IOException("the body of this attempt was read already"));
      }
      return (InputStream) body;
    });
    if (opened.length() >= 0) {
      publisher = HttpRequest.BodyPublishers.fromPublisher(publisher, opened.length());
    }
    progress.begin(label, opened.length(), attempt, body);
    try {
      ApiResponse response = api.send(HttpRequest.newBuilder(uri)
          .header("Content-Type", "application/octet-stream")
          .method(method, publisher));
      progress.end(!response.ok() ? "answered " + response.status() : method.equals("PUT") ? "published" : "staged");
      return response;
    } catch (IOException e) {
      progress.end("failed");
      if (body.failure() instanceof SourceFailure failure) {
        throw failure;
      }
      if (body.failure() != null) {
        throw new SourceFailure("cannot read the source: " + body.failure().getMessage(), body.failure());
      }
      if (body.ended()) {
        answerLost.set(true);
      }
      throw e;
    } finally {
      body.close();
    }
  }
}
