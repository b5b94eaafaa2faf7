package io.ephemeral.cvmfs.operator.health;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * The kubelet's probes: {@code GET /healthz} for liveness and {@code GET /readyz} for readiness,
 * 200 when the check holds and 503 when not; anything else is 404. The JDK's server suffices for
 * two tiny endpoints and brings no dependency.
 */
public final class HealthServer implements AutoCloseable {

  private final HttpServer server;
  private final Map<String, BooleanSupplier> checks;

  private HealthServer(HttpServer server, BooleanSupplier live, BooleanSupplier ready) {
    this.server = server;
    this.checks = Map.of("/healthz", live, "/readyz", ready);
  }

  /** Binds {@code address} (port 0 picks one) and starts answering. */
  public static HealthServer start(InetSocketAddress address, BooleanSupplier live, BooleanSupplier ready)
      throws IOException {
    HealthServer health = new HealthServer(HttpServer.create(address, 0), live, ready);
    health.server.createContext("/", health::handle);
    health.server.start();
    return health;
  }

  public int port() {
    return server.getAddress().getPort();
  }

  private void handle(HttpExchange exchange) throws IOException {
    try {
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
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
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
