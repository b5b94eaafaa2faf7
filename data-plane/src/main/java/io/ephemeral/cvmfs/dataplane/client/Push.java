package io.ephemeral.cvmfs.dataplane.client;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.util.ArrayList;
import java.util.List;
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
   */
  public record Request(Target target, UploadSource source, String ttl, boolean overwrite, boolean stage) {

    URI uri() {
      return stage ? URI.create(target.repositoryApi() + "/uploads") : target.requirePath().pathApi(query());
    }

    /** The query of the PUT: ttl, format and overwrite where given. */
    String query() {
      List<String> parameters = new ArrayList<>();
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
    URI uri = request.uri();
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
