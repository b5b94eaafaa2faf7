package io.ephemeral.cvmfs.dataplane.testsupport;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A static file server on a loopback port for tests: serves directories under URL prefixes,
 * bytes as stored, 404 for anything else, like a plain stratum 0 web server.
 *
 * <pre>
 * try (FixtureServer server = FixtureServer.serve(Fixtures.referenceRepo())) {
 *   URI repository = server.uri("reference.example.org");
 * }
 * </pre>
 */
public final class FixtureServer implements AutoCloseable {

  private final HttpServer server;
  private final ExecutorService executor;
  private final Map<String, Path> mounts = new ConcurrentHashMap<>();
  private final List<String> requests = Collections.synchronizedList(new ArrayList<>());

  private FixtureServer() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    executor = Executors.newCachedThreadPool(task -> {
      Thread thread = new Thread(task, "fixture-server");
      thread.setDaemon(true);
      return thread;
    });
    server.setExecutor(executor);
    server.createContext("/", this::handle);
    server.start();
  }

  /** A server with nothing mounted yet. */
  public static FixtureServer start() throws IOException {
    return new FixtureServer();
  }

  /** A server that serves {@code directory} at the URL root. */
  public static FixtureServer serve(Path directory) throws IOException {
    return start().mount("/", directory);
  }

  /**
   * Serves {@code directory} under {@code urlPrefix} (e.g. {@code /cvmfs/repo.example.org}); the
   * longest matching prefix wins.
   */
  public FixtureServer mount(String urlPrefix, Path directory) {
    String prefix = "/" + strip(urlPrefix);
    mounts.put(prefix.equals("/") ? "" : prefix, directory.toAbsolutePath().normalize());
    return this;
  }

  public int port() {
    return server.getAddress().getPort();
  }

  /** {@code http://127.0.0.1:PORT/} followed by {@code path}. */
  public URI uri(String path) {
    return URI.create("http://" + server.getAddress().getAddress().getHostAddress() + ":" + port() + "/" + strip(path));
  }

  /** Request paths served so far, in arrival order, with their status, e.g. {@code GET /x 200}. */
  public List<String> requests() {
    synchronized (requests) {
      return List.copyOf(requests);
    }
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }

  private static String strip(String path) {
    String stripped = path;
    while (stripped.startsWith("/")) {
      stripped = stripped.substring(1);
    }
    while (stripped.endsWith("/")) {
      stripped = stripped.substring(0, stripped.length() - 1);
    }
    return stripped;
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      String method = exchange.getRequestMethod();
      String path = exchange.getRequestURI().getPath();
      Path file = resolve(path);
      int status;
      if (!method.equals("GET") && !method.equals("HEAD")) {
        status = 405;
        exchange.sendResponseHeaders(status, -1);
      } else if (file == null || !Files.isRegularFile(file)) {
        status = 404;
        exchange.sendResponseHeaders(status, -1);
      } else {
        status = 200;
        long size = Files.size(file);
        exchange.getResponseHeaders().set("Content-Type", "application/octet-stream");
        // HttpServer reads length 0 as "chunked" and -1 as "no body".
        boolean noBody = method.equals("HEAD") || size == 0;
        exchange.sendResponseHeaders(status, noBody ? -1 : size);
        if (!noBody) {
          try (InputStream in = Files.newInputStream(file); OutputStream out = exchange.getResponseBody()) {
            in.transferTo(out);
          }
        }
      }
      requests.add(method + " " + path + " " + status);
    }
  }

  /** The file for a request path, or null when no mount covers it or it escapes its mount. */
  private Path resolve(String requestPath) {
    String best = null;
    for (String prefix : mounts.keySet()) {
      boolean covers = prefix.isEmpty() || requestPath.equals(prefix) || requestPath.startsWith(prefix + "/");
      if (covers && (best == null || prefix.length() > best.length())) {
        best = prefix;
      }
    }
    if (best == null) {
      return null;
    }
    Path root = mounts.get(best);
    Path file = root.resolve(strip(requestPath.substring(best.length()))).normalize();
    return file.startsWith(root) ? file : null;
  }
}
