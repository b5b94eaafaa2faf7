package io.ephemeral.cvmfs.dataplane.observability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ephemeral.cvmfs.common.observability.LogEncoder;
import io.ephemeral.cvmfs.common.observability.LogFormat;
import io.ephemeral.cvmfs.common.observability.LogSetup;
import io.ephemeral.cvmfs.dataplane.notify.ActivityMessage;
import io.ephemeral.cvmfs.dataplane.repository.Repository;
import io.ephemeral.cvmfs.dataplane.server.DataPlane;
import io.ephemeral.cvmfs.dataplane.server.DataPlaneConfig;
import io.ephemeral.cvmfs.dataplane.testsupport.ApiRequests;
import io.ephemeral.cvmfs.dataplane.testsupport.Tars;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;
import org.slf4j.event.KeyValuePair;

/** The audit log and /metrics of a data plane on loopback, over real HTTP. */
class ObservabilityTest {

  private static final String REPO = "observed.example.org";

  @TempDir
  static Path data;

  private static DataPlane dataPlane;
  private static String base;
  private static Logger auditLogger;
  private static final ListAppender<ILoggingEvent> audit = new ListAppender<>();

  @BeforeAll
  static void start() throws IOException {
    auditLogger = (Logger) LoggerFactory.getLogger(LogSetup.AUDIT_LOGGER);
    audit.setContext(auditLogger.getLoggerContext());
    audit.start();
    auditLogger.addAppender(audit);
    auditLogger.setLevel(Level.INFO);
    auditLogger.setAdditive(false);
    dataPlane = DataPlane.start(DataPlaneConfig.local(data, List.of(REPO)));
    base = "http://127.0.0.1:" + dataPlane.port();
  }

  @AfterAll
  static void stop() {
    dataPlane.close();
    auditLogger.detachAppender(audit);
    auditLogger.setLevel(null);
    auditLogger.setAdditive(true);
  }

  @BeforeEach
  void forgetEarlierLines() {
    synchronized (audit) {
      audit.list.clear();
    }
  }

  private static String token() throws IOException {
    return Files.readString(data.resolve("keys").resolve(REPO + ".token")).strip();
  }

  private static HttpResponse<String> send(String method, String path, byte[] body, String token) throws Exception {
    return ApiRequests.send(HttpRequest.newBuilder(URI.create(base + path))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body)),
        token);
  }

  /** The audit lines so far, once there are {@code count}: each is logged once its response has left. */
  private static List<ILoggingEvent> auditLines(int count) throws InterruptedException {
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (true) {
      List<ILoggingEvent> lines;
      synchronized (audit) {
        lines = List.copyOf(audit.list);
      }
      if (lines.size() >= count || System.nanoTime() > deadline) {
        return lines;
      }
      Thread.sleep(10);
    }
  }

  private static Map<String, Object> fields(ILoggingEvent event) {
    Map<String, Object> fields = new HashMap<>();
    for (KeyValuePair pair : event.getKeyValuePairs()) {
      fields.put(pair.key, pair.value);
    }
    return fields;
  }

  private static void assertLine(ILoggingEvent line, String method, int status, String outcome, long bytes) {
    Map<String, Object> fields = fields(line);
    assertEquals(method, fields.get("method"), fields.toString());
    assertEquals(status, fields.get("status"), fields.toString());
    assertEquals(outcome, fields.get("outcome"), fields.toString());
    assertEquals(bytes, fields.get("bytes"), fields.toString());
    assertEquals("127.0.0.1", fields.get("client"), fields.toString());
    assertNotNull(fields.get("route"), fields.toString());
    assertTrue((Long) fields.get("durationMs") >= 0, fields.toString());
    assertTrue(fields.keySet().containsAll(List.of("repository", "path", "revision", "errorCode")), fields.toString());
  }

  @Test
  void everyWriteLeavesOneAuditLineAndReadsNone() throws Exception {
    byte[] tar = Tars.tar().file("README", "audited\n").bytes();
    HttpResponse<String> published = send("PUT", "/api/v1/repos/" + REPO + "/paths/audit/one", tar, token());
    assertEquals(201, published.statusCode());
    long revision = new ObjectMapper().readTree(published.body()).get("revision").asLong();
    assertEquals(401, send("PUT", "/api/v1/repos/" + REPO + "/paths/audit/two", tar, null).statusCode());
    assertEquals(200, send("GET", "/cvmfs/" + REPO + "/.cvmfspublished", null, null).statusCode());
    int deleted = send("DELETE", "/api/v1/repos/" + REPO + "/paths/audit/one", null, token()).statusCode();
    assertEquals(2, deleted / 100);
    assertEquals(200, send("POST", "/api/v1/repos/" + REPO + "/gc?dryRun=true", null, token()).statusCode());
    byte[] manifest = Files.readAllBytes(data.resolve(REPO).resolve(Repository.MANIFEST));
    byte[] message = ActivityMessage.of(REPO, manifest, Instant.now()).toJson().getBytes(StandardCharsets.UTF_8);
    int announced = send("POST", "/api/v1/notifications/publish", message, token()).statusCode();

    List<ILoggingEvent> lines = auditLines(5);
    assertEquals(5, lines.size(), lines.toString());
    assertLine(lines.get(0), "PUT", 201, "ok", tar.length);
    // Refused from the head: how much of the body had come by then is up to the client.
    long refusedBytes = (Long) fields(lines.get(1)).get("bytes");
    assertTrue(refusedBytes >= 0 && refusedBytes <= tar.length, lines.get(1).toString());
    assertLine(lines.get(1), "PUT", 401, "refused", refusedBytes);
    assertLine(lines.get(2), "DELETE", deleted, "ok", 0);
    assertLine(lines.get(3), "POST", 200, "ok", 0);
    assertLine(lines.get(4), "POST", announced, announced == 200 ? "ok" : "refused", message.length);
    Map<String, Object> publish = fields(lines.get(0));
    assertEquals("PUT /api/v1/repos/{repo}/paths/{path...}", publish.get("route"));
    assertEquals(REPO, publish.get("repository"));
    assertEquals("/audit/one", publish.get("path"));
    assertEquals(revision, publish.get("revision"));
    Map<String, Object> refused = fields(lines.get(1));
    assertEquals(REPO, refused.get("repository"));
    assertEquals("unauthorized", refused.get("errorCode"));
    assertEquals("/audit/one", fields(lines.get(2)).get("path"));
    assertEquals("POST /api/v1/repos/{repo}/gc", fields(lines.get(3)).get("route"));
    Map<String, Object> notification = fields(lines.get(4));
    assertEquals("POST /api/v1/notifications/publish", notification.get("route"));
    assertEquals(REPO, notification.get("repository"));
    lines.forEach(line -> assertEquals(Level.INFO, line.getLevel()));

    // As a collector gets it: the pairs are fields of their own, next to an ISO-8601 timestamp.
    JsonNode json = new ObjectMapper().readTree(new LogEncoder(LogFormat.JSON).encode(lines.get(4)));
    assertEquals(REPO, json.get("repository").asText());
    assertEquals(announced, json.get("status").asInt());
    assertEquals("audit", json.get("logger").asText());
    assertTrue(json.get("timestamp").asText().matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z"), json.toString());
  }

  @Test
  void aRefusedNotificationNamesItsErrorCode() throws Exception {
    assertEquals(400, send("POST", "/api/v1/notifications/publish", "{\"version\":1,".getBytes(), token()).statusCode());
    List<ILoggingEvent> lines = auditLines(1);
    assertEquals(1, lines.size(), lines.toString());
    assertLine(lines.get(0), "POST", 400, "refused", 13);
    assertEquals("malformed_json", fields(lines.get(0)).get("errorCode"));
  }

  @Test
  void aBodyRefusedFromItsDeclaredLengthIsAnAuditedRefusal() throws Exception {
    try (Socket socket = new Socket("127.0.0.1", dataPlane.port())) {
      socket.setSoTimeout(10_000);
      socket.getOutputStream().write(("PUT /api/v1/repos/" + REPO + "/paths/audit/huge HTTP/1.1\r\nHost: x\r\n"
          + "Authorization: Bearer " + token() + "\r\nContent-Length: 999999999999999\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      String status = new String(socket.getInputStream().readNBytes(12), StandardCharsets.US_ASCII);
      assertEquals("HTTP/1.1 413", status);
    }
    List<ILoggingEvent> lines = auditLines(1);
    assertEquals(1, lines.size(), lines.toString());
    assertLine(lines.get(0), "PUT", 413, "refused", 0);
  }

  @Test
  void aConnectionClosedBeforeTheResponseIsAnAbortedWrite() throws Exception {
    try (Socket socket = new Socket("127.0.0.1", dataPlane.port())) {
      OutputStream out = socket.getOutputStream();
      out.write(("PUT /api/v1/repos/" + REPO + "/paths/audit/cut HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token()
          + "\r\nContent-Length: 100000\r\n\r\n0123456789").getBytes(StandardCharsets.US_ASCII));
      out.flush();
      Thread.sleep(200);
    }
    List<ILoggingEvent> lines = auditLines(1);
    assertEquals(1, lines.size(), lines.toString());
    Map<String, Object> fields = fields(lines.get(0));
    assertEquals("aborted", fields.get("outcome"), fields.toString());
    assertEquals("PUT", fields.get("method"));
    assertEquals(10L, fields.get("bytes"));
  }

  @Test
  void metricsHaveNoNaNAndShowJvmHttpRevisionAndFailures() throws Exception {
    assertEquals(200, send("GET", "/metrics", null, null).statusCode());
    assertEquals(200, send("GET", "/cvmfs/" + REPO + "/.cvmfspublished", null, null).statusCode());
    HttpResponse<String> published = send("PUT", "/api/v1/repos/" + REPO + "/paths/metrics/one",
        Tars.tar().file("a", "a\n").bytes(), token());
    assertEquals(201, published.statusCode(), published.body());
    long revision = new ObjectMapper().readTree(published.body()).get("revision").asLong();
    HttpResponse<String> bad = send("PUT", "/api/v1/repos/" + REPO + "/paths/metrics/bad?format=tar",
        "this is not a tar archive, not at all".repeat(40).getBytes(), token());
    assertEquals(4, bad.statusCode() / 100, bad.body());
    auditLines(2); // both writes have ended

    String scrape = send("GET", "/metrics", null, null).body();
    assertFalse(scrape.contains("NaN"), scrape);
    for (String jvm : List.of("jvm_memory_used_bytes", "jvm_gc_max_data_size_bytes", "jvm_threads_live_threads",
        "jvm_classes_loaded_classes", "system_cpu_count", "process_uptime_seconds", "process_files_open_files")) {
      assertTrue(scrape.contains(jvm), jvm + " missing");
    }
    assertTrue(value(scrape, "cvmfs_http_requests_seconds_count", "route=\"GET /metrics\"", "server=\"main\"",
        "status=\"200\"", "method=\"GET\"") >= 1, scrape);
    assertTrue(value(scrape, "cvmfs_http_requests_seconds_count", "route=\"GET /cvmfs/{repo}/{file...}\"") >= 1, scrape);
    assertTrue(value(scrape, "cvmfs_http_response_bytes_total", "route=\"GET /cvmfs/{repo}/{file...}\"") > 0, scrape);
    assertTrue(value(scrape, "cvmfs_http_requests_seconds_count", "method=\"PUT\"", "status=\"201\"") >= 1, scrape);
    assertTrue(value(scrape, "cvmfs_http_request_bytes_total", "server=\"main\"") > 0, scrape);
    assertEquals((double) revision, value(scrape, "cvmfs_revision", "repository=\"" + REPO + "\""), scrape);
    assertEquals(1.0, value(scrape, "cvmfs_publish_failures_total", "repository=\"" + REPO + "\"",
        "reason=\"invalid_source\""), scrape);
    assertTrue(value(scrape, "cvmfs_whitelist_expiry_seconds", "repository=\"" + REPO + "\"")
        > Instant.now().getEpochSecond(), scrape);
  }

  @Test
  void storeSizeAppearsWithTheFirstCollection() throws Exception {
    String before = send("GET", "/metrics", null, null).body();
    boolean collectedEarlier = before.contains("cvmfs_store_objects{");
    assertEquals(200, send("POST", "/api/v1/repos/" + REPO + "/gc", null, token()).statusCode());
    String after = send("GET", "/metrics", null, null).body();
    assertTrue(value(after, "cvmfs_store_objects", "repository=\"" + REPO + "\"") > 0, after);
    assertTrue(value(after, "cvmfs_store_bytes", "repository=\"" + REPO + "\"") > 0, after);
    assertFalse(after.contains("NaN"), after);
    if (!collectedEarlier) {
      assertNull(valueOrNull(before, "cvmfs_store_bytes", "repository=\"" + REPO + "\""));
    }
  }

  /** The value of the one sample of {@code name} whose labels contain all of {@code labels}. */
  private static double value(String scrape, String name, String... labels) {
    Double value = valueOrNull(scrape, name, labels);
    assertNotNull(value, name + " " + List.of(labels) + " missing");
    return value;
  }

  private static Double valueOrNull(String scrape, String name, String... labels) {
    Pattern sample = Pattern.compile("^" + Pattern.quote(name) + "\\{(.*)} (\\S+)$", Pattern.MULTILINE);
    Matcher m = sample.matcher(scrape);
    Double found = null;
    while (m.find()) {
      String labelText = m.group(1);
      if (List.of(labels).stream().allMatch(labelText::contains)) {
        found = (found == null ? 0 : found) + Double.parseDouble(m.group(2));
      }
    }
    return found;
  }
}
