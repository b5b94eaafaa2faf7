package io.ephemeral.cvmfs.operator.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ephemeral.cvmfs.common.observability.LogFormat;
import io.ephemeral.cvmfs.operator.OperatorConfig;
import io.ephemeral.cvmfs.operator.health.HealthServer;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse.BodyHandlers;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class MainTest {

  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int execute(String... args) {
    return Main.commandLine().setOut(new PrintWriter(out, true)).setErr(new PrintWriter(err, true)).execute(args);
  }

  @Test
  void helpOfEachCommandExitsZero() {
    assertEquals(0, execute("run", "--help"));
    assertTrue(out.toString().contains("CVMFS_OPERATOR_STATUS_INTERVAL"), out.toString());
    assertEquals(0, execute("maintain", "--help"));
    assertTrue(out.toString().contains("--validity-days"), out.toString());
  }

  @Test
  void usageErrorsExitTwo() {
    assertEquals(2, execute("run", "--no-such-flag"));
    assertTrue(err.toString().contains("--no-such-flag"), err.toString());
    assertEquals(2, execute("maintain", "--fqrn", "builds.example.org"));
    assertEquals(2, execute("maintain", "--namespace", "ci", "--keys-secret", "k", "--fqrn", "builds.example.org",
        "--data-plane-url", "http://127.0.0.1:1", "--master-key", "/nonexistent", "--hash", "md5"));
    assertTrue(err.toString().contains("unknown hash algorithm 'md5'"), err.toString());
    assertEquals(2, execute("nonsense"));
  }

  @Test
  void aDurationThatDoesNotParseIsAUsageError() {
    // Fails before any Kubernetes client is made.
    assertEquals(2, execute("run", "--retry-interval", "soon"));
    assertTrue(err.toString().contains("--retry-interval (CVMFS_OPERATOR_RETRY_INTERVAL): 'soon'"), err.toString());
  }

  @Test
  void aHealthPortInUseIsReportedAsSuchNotAsAnApiFailure() throws Exception {
    try (ServerSocket taken = new ServerSocket(0)) {
      assertEquals(1, execute("run", "--health-port", String.valueOf(taken.getLocalPort())));
    }
    assertTrue(err.toString().contains("cannot serve the health probes on port"), err.toString());
    assertFalse(err.toString().contains("Kubernetes API"), err.toString());
  }

  @Test
  void defaultsWithoutFlagsOrEnvironment() {
    OperatorConfig config = parse().config(Map.of());
    assertEquals(new OperatorConfig(Set.of(), OperatorConfig.DEFAULT_DATA_PLANE_IMAGE,
        OperatorConfig.DEFAULT_OPERATOR_IMAGE, 8081, Duration.ofSeconds(60), Duration.ofSeconds(30),
        Duration.ofSeconds(15), "cluster.local", "", LogFormat.TEXT), config);
  }

  @Test
  void environmentFillsInWhatFlagsLeaveOut() {
    Map<String, String> env = Map.of(
        "CVMFS_OPERATOR_NAMESPACES", "ci, builds,,",
        "CVMFS_OPERATOR_DATA_PLANE_IMAGE", "registry.local/data-plane:1",
        "CVMFS_OPERATOR_IMAGE", "registry.local/operator:1",
        "CVMFS_OPERATOR_HEALTH_PORT", "9000",
        "CVMFS_OPERATOR_STATUS_INTERVAL", "2m",
        "CVMFS_OPERATOR_PUBLICATION_CHECK_INTERVAL", "45",
        "CVMFS_OPERATOR_RETRY_INTERVAL", "1h",
        "CVMFS_OPERATOR_CLUSTER_DOMAIN", "corp.example",
        "CVMFS_OPERATOR_LEADER_ELECTION_NAMESPACE", "ops",
        "CVMFS_LOG_FORMAT", "json");
    assertEquals(new OperatorConfig(Set.of("ci", "builds"), "registry.local/data-plane:1", "registry.local/operator:1",
        9000, Duration.ofMinutes(2), Duration.ofSeconds(45), Duration.ofHours(1), "corp.example", "ops",
        LogFormat.JSON), parse().config(env));

    OperatorConfig flagged = parse("--namespaces", "other", "--operator-image", "flag/operator:2", "--health-port", "-1",
        "--status-interval", "5s", "--retry-interval", "3s", "--cluster-domain", "k8s.internal", "--log-format", "text",
        "--leader-election-namespace", "").config(env);
    assertEquals(new OperatorConfig(Set.of("other"), "registry.local/data-plane:1", "flag/operator:2", -1,
        Duration.ofSeconds(5), Duration.ofSeconds(45), Duration.ofSeconds(3), "k8s.internal", "", LogFormat.TEXT),
        flagged);
    assertThrows(IllegalArgumentException.class, () -> parse("--cluster-domain", "Not A Domain").config(Map.of()));
  }

  @Test
  void emptyValuesMeanAllNamespacesAndDefaults() {
    OperatorConfig config = parse("--namespaces", "").config(Map.of("CVMFS_OPERATOR_NAMESPACES", "ci",
        "CVMFS_OPERATOR_IMAGE", "  "));
    assertEquals(Set.of(), config.namespaces());
    assertEquals(OperatorConfig.DEFAULT_OPERATOR_IMAGE, config.operatorImage());
  }

  @Test
  void badValuesNameTheirFlagAndVariable() {
    IllegalArgumentException port = assertThrows(IllegalArgumentException.class,
        () -> parse().config(Map.of("CVMFS_OPERATOR_HEALTH_PORT", "http")));
    assertTrue(port.getMessage().contains("CVMFS_OPERATOR_HEALTH_PORT"), port.getMessage());
    assertThrows(IllegalArgumentException.class, () -> parse("--health-port", "70000").config(Map.of()));
    IllegalArgumentException interval = assertThrows(IllegalArgumentException.class,
        () -> parse("--status-interval", "0s").config(Map.of()));
    assertTrue(interval.getMessage().startsWith("--status-interval"), interval.getMessage());
  }

  @Test
  void logFormatComesFromTheFlagThenTheEnvironmentThenIsText() {
    assertEquals(LogFormat.TEXT, parse().logFormat(Map.of()));
    assertEquals(LogFormat.JSON, parse().logFormat(Map.of("CVMFS_LOG_FORMAT", "json")));
    assertEquals(LogFormat.TEXT, parse("--log-format", "TEXT").logFormat(Map.of("CVMFS_LOG_FORMAT", "json")));
    IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
        () -> parse().logFormat(Map.of("CVMFS_LOG_FORMAT", "xml")));
    assertTrue(bad.getMessage().startsWith("--log-format (CVMFS_LOG_FORMAT)"), bad.getMessage());
    assertEquals(2, execute("run", "--log-format", "xml"));
    assertTrue(err.toString().contains("unknown log format 'xml'"), err.toString());
  }

  private static RunCommand parse(String... args) {
    RunCommand command = new RunCommand();
    new CommandLine(command).parseArgs(args);
    return command;
  }

  @Test
  void healthServerAnswersOverHttp() throws Exception {
    AtomicBoolean live = new AtomicBoolean(true);
    AtomicBoolean ready = new AtomicBoolean(false);
    try (HealthServer health = HealthServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
        live::get, ready::get)) {
      HttpClient http = HttpClient.newHttpClient();
      URI base = URI.create("http://127.0.0.1:" + health.port());
      assertEquals(200, status(http, base.resolve("/healthz"), "GET"));
      assertEquals(503, status(http, base.resolve("/readyz"), "GET"));
      ready.set(true);
      assertEquals(200, status(http, base.resolve("/readyz"), "GET"));
      live.set(false);
      assertEquals(503, status(http, base.resolve("/healthz"), "GET"));
      assertEquals(404, status(http, base.resolve("/"), "GET"));
      assertEquals(404, status(http, base.resolve("/healthz/more"), "GET"));
      assertEquals(404, status(http, base.resolve("/readyz"), "POST"));
    }
  }

  @Test
  void metricsAreServedWhenGiven() throws Exception {
    InetSocketAddress any = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
    HttpClient http = HttpClient.newHttpClient();
    try (HealthServer health = HealthServer.start(any, () -> true, () -> true, () -> "# TYPE up gauge\nup 1.0\n")) {
      HttpResponse<String> response = http.send(HttpRequest.newBuilder(
          URI.create("http://127.0.0.1:" + health.port() + "/metrics")).build(), BodyHandlers.ofString());
      assertEquals(200, response.statusCode());
      assertEquals("# TYPE up gauge\nup 1.0\n", response.body());
      assertTrue(response.headers().firstValue("Content-Type").orElse("").startsWith("text/plain; version=0.0.4"));
    }
    try (HealthServer health = HealthServer.start(any, () -> true, () -> true)) {
      assertEquals(404, status(http, URI.create("http://127.0.0.1:" + health.port() + "/metrics"), "GET"));
    }
    try (HealthServer health = HealthServer.start(any, () -> true, () -> true, () -> {
      throw new IllegalStateException("closed");
    })) {
      assertEquals(500, status(http, URI.create("http://127.0.0.1:" + health.port() + "/metrics"), "GET"));
    }
  }

  @Test
  void aFailingCheckIsUnavailable() throws Exception {
    try (HealthServer health = HealthServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
        () -> {
          throw new IllegalStateException("stopping");
        }, () -> true)) {
      assertEquals(503, status(HttpClient.newHttpClient(), URI.create("http://127.0.0.1:" + health.port() + "/healthz"),
          "GET"));
    }
  }

  private static int status(HttpClient http, URI uri, String method) throws Exception {
    return http.send(HttpRequest.newBuilder(uri).method(method, HttpRequest.BodyPublishers.noBody()).build(),
        BodyHandlers.discarding()).statusCode();
  }
}
