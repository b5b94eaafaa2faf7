package io.ephemeral.cvmfs.operator.health;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * The kubelet's probes: {@code GET /healthz} for liveness and {@code GET /readyz} for readiness,
 * 200 when the check holds and 503 when not; {@code GET /metrics} for Prometheus when given;
 * anything else is 404. The JDK's server suffices for three tiny endpoints and brings no
 * dependency.
 */
public final class HealthServer implements AutoCloseable {

  private static final String METRICS_TYPE = "text/plain; version=0.0.4; charset=utf-8";

  private final HttpServer server;
  private final Map<String, BooleanSupplier> checks;
  private final Supplier<String> metrics;

  private HealthServer(HttpServer server, BooleanSupplier live, BooleanSupplier ready, Supplier<String> metrics) {
    this.server = server;
    this.checks = Map.of("/healthz", live, "/readyz", ready);
    this.metrics = metrics;
  }

  /** Binds {@code address} (port 0 picks one) and starts answering the probes. */
  public static HealthServer start(InetSocketAddress address, BooleanSupplier live, BooleanSupplier ready)
      throws IOException {
    return start(address, live, ready, null);
  }

  /** The same, and {@code /metrics} with what {@code metrics} returns, unless it is null. */
  public static HealthServer start(InetSocketAddress address, BooleanSupplier live, BooleanSupplier ready,
      Supplier<String> metrics) throws IOException {
    HealthServer health = new HealthServer(HttpServer.create(address, 0), live, ready, metrics);
    health.server.createContext("/", health::handle);
    health.server.start();
    return health;
  }

  public int port() {
    return server.getAddress().getPort();
  }

  private void handle(HttpExchange exchange) throws IOException {
    try {
      if (metrics != null && exchange.getRequestMethod().equals("GET")
          && exchange.getRequestURI().getPath().equals("/metrics")) {
        respond(exchange, 200, METRICS_TYPE, metrics.get());
        return;
      }
      BooleanSupplier check = exchange.getRequestMethod().equals("GET")
          ? checks.get(exchange.getRequestURI().getPath()) : null;
      if (check == null) {
        respond(exchange, 404, "not found\n");
      } else if (holds(check)) {
        respond(exchange, 200, "ok\n");
      } else {
        respond(exchange, 503, "unavailable\n");
      }
    } finally {
      exchange.close();
    }
  }

  // A check that throws, e.g. while the operator stops, counts as failing rather than as a broken probe.
  private static boolean holds(BooleanSupplier check) {
    try {
      return check.getAsBoolean();
    } catch (RuntimeException e) {
      return false;
    }
  }

  private static void respond(HttpExchange exchange, int status, String body) throws IOException {
    respond(exchange, status, "text/plain; charset=utf-8", body);
  }

  private static void respond(HttpExchange exchange, int status, String type, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", type);
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
