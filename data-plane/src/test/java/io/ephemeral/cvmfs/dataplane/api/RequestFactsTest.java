package io.ephemeral.cvmfs.dataplane.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.ephemeral.cvmfs.dataplane.http.RequestFacts;
import io.ephemeral.cvmfs.dataplane.http.RouteHandler;
import io.ephemeral.cvmfs.dataplane.server.DataPlane;
import io.ephemeral.cvmfs.dataplane.server.DataPlaneConfig;
import io.ephemeral.cvmfs.dataplane.testsupport.ApiRequests;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpRequest;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the route tables record about each request for the access metrics and the audit log. */
class RequestFactsTest {

  private static final String REPO = "facts.example.org";
  private static final String TOKEN = "facts-token";

  @TempDir
  static Path data;

  private static DataPlane dataPlane;
  private static ExecutorService workers;
  private static TableServer server;
  private static String base;
  private static final AtomicReference<RequestFacts> last = new AtomicReference<>();

  /** Begins the facts of each request, as the access observer does, and keeps them for the test. */
  private static final class Recorder extends RouteHandler {
    @Override
    protected boolean onRequest(ChannelHandlerContext ctx, HttpRequest request) {
      last.set(RequestFacts.begin(ctx.channel()));
      return false;
    }
  }

  @BeforeAll
  static void start() throws IOException {
    dataPlane = DataPlane.start(DataPlaneConfig.local(data, List.of(REPO)));
    workers = Executors.newCachedThreadPool();
    server = TableServer.start(dataPlane, data, REPO, TOKEN, workers, Recorder::new);
    base = server.base();
  }

  @AfterAll
  static void stop() {
    server.close();
    workers.shutdownNow();
    dataPlane.close();
  }

  private static HttpResponse<String> send(String method, String path, String body) throws Exception {
    return ApiRequests.send(java.net.http.HttpRequest.newBuilder(URI.create(base + path)).method(method,
        body == null ? java.net.http.HttpRequest.BodyPublishers.noBody()
            : java.net.http.HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8)), TOKEN);
  }

  @Test
  void aPublishRecordsItsRouteRepositoryPathAndRevision() throws Exception {
    HttpResponse<String> response = send("PUT", "/api/v1/repos/" + REPO + "/paths/facts/a.txt?format=file", "a");
    assertEquals(201, response.statusCode(), response.body());
    RequestFacts facts = last.get();
    assertEquals("PUT /api/v1/repos/{repo}/paths/{path...}", facts.route());
    assertEquals(REPO, facts.repository());
    assertEquals("/facts/a.txt", facts.path());
    assertEquals(JsonResponses.JSON.readTree(response.body()).get("revision").asLong(), facts.revision());
    assertNull(facts.errorCode());

    HttpResponse<String> again = send("PUT", "/api/v1/repos/" + REPO + "/paths/facts/a.txt?format=file", "a");
    assertEquals(409, again.statusCode());
    assertEquals("conflict", last.get().errorCode());
    assertEquals(-1, last.get().revision());

    HttpResponse<String> deleted = send("DELETE", "/repos/" + REPO + "/facts", null);
    assertEquals(404, deleted.statusCode(), deleted.body());
    assertEquals("DELETE /repos/{repo}/{path}", last.get().route());
    assertEquals("/facts", last.get().path());
    assertEquals("not_found", last.get().errorCode());
  }

  @Test
  void refusalsRecordTheirErrorCode() throws Exception {
    assertEquals(400, send("POST", "/api/v1/repos/" + REPO + "/gc?dryRun=banana", null).statusCode());
    assertEquals("POST /api/v1/repos/{repo}/gc", last.get().route());
    assertEquals("invalid_parameter", last.get().errorCode());
    assertEquals(422, send("POST", "/repos/" + REPO + "/x.txt/ttl?ttl_s=soon", null).statusCode());
    assertEquals("POST /repos/{repo}/{path}/ttl", last.get().route());
    assertEquals("invalid_parameter", last.get().errorCode());
    assertEquals(405, send("GET", "/api/v1/repos/" + REPO + "/gc", null).statusCode());
    assertEquals(RequestFacts.UNMATCHED, last.get().route());
    assertEquals("method_not_allowed", last.get().errorCode());
  }
}
