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
 * 200 when the check holds and 503 when not; and, when given, {@code GET /metrics} in the
 * Prometheus text format. Anything else is 404. The JDK's server suffices for three small
 * endpoints and brings no dependency.
 */
public final class HealthServer implements AutoCloseable {

  private static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

  private final HttpServer server;
  private final Map<String, BooleanSupplier> checks;
  private final Supplier<String> metrics;

  private HealthServer(HttpServer server, BooleanSupplier live, BooleanSupplier ready, Supplier<String> metrics) {
    this.server = server;
    this.checks = Map.of("/healthz", live, "/readyz", ready);
    this.metrics = metrics;
  }

  /** Binds {@code address} (port 0 picks one) and starts answering the probes only. */
  public static HealthServer start(InetSocketAddress address, BooleanSupplier live, BooleanSupplier ready)
      throws IOException {
    return start(address, live, ready, null);
  }

  /**
   * Binds {@code address} (port 0 picks one) and starts answering.
   *
   * @param metrics the Prometheus text of the meters; null serves no {@code /metrics}
   */
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
      boolean get = exchange.getRequestMethod().equals("GET");
      String path = exchange.getRequestURI().getPath();
      BooleanSupplier check = get ? checks.get(path) : null;
      if (get && metrics != null && path.equals("/metrics")) {
        String text;
        try {
          text = metrics.get();
        } catch (RuntimeException e) {
          respond(exchange, 500, "metrics unavailable\n");
          return;
        }
        respond(exchange, 200, text, PROMETHEUS_TEXT);
      } else if (check == null) {
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
    respond(exchange, status, body, "text/plain; charset=utf-8");
  }

  private static void respond(HttpExchange exchange, int status, String body, String type) throws IOException {
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
