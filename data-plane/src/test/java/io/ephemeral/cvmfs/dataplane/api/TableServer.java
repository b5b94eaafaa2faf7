package io.ephemeral.cvmfs.dataplane.api;

import io.ephemeral.cvmfs.dataplane.http.HttpServer;
import io.ephemeral.cvmfs.dataplane.http.HttpServerConfig;
import io.ephemeral.cvmfs.dataplane.http.RouteHandler;
import io.ephemeral.cvmfs.dataplane.http.WriteAuthorizer;
import io.ephemeral.cvmfs.dataplane.publish.PublishOperations;
import io.ephemeral.cvmfs.dataplane.publish.RepositoryTags;
import io.ephemeral.cvmfs.dataplane.repository.DataLayout;
import io.ephemeral.cvmfs.dataplane.repository.PublishToken;
import io.ephemeral.cvmfs.dataplane.server.DataPlane;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.function.Supplier;

/**
 * The v1 and compatibility route tables over the publish service of a running data plane, on a
 * loopback server of their own whose API work goes to {@code workers}. Neither garbage
 * collection nor notification is wired.
 */
final class TableServer implements AutoCloseable {

  private final HttpServer server;
  private final String base;

  private TableServer(HttpServer server, String base) {
    this.server = server;
    this.base = base;
  }

  /** Serves {@code repo} of {@code dataPlane} (data in {@code data}) with {@code token}; {@code first} is asked first. */
  static TableServer start(DataPlane dataPlane, Path data, String repo, String token, Executor workers,
      Supplier<? extends RouteHandler> first) throws IOException {
    WriteAuthorizer authorizer = new WriteAuthorizer(Map.of(repo, PublishToken.of(token)));
    RouteTable api = ApiRoute.table(dataPlane.service(), new PublishOperations(Clock.systemUTC()), authorizer,
        new ApiRepositoryInfo(dataPlane.service(), Clock.systemUTC()), new MaintenanceRoute(Map.of(), Map.of()), new TagRoute(new RepositoryTags(dataPlane.service())));
    RouteTable legacy = LegacyApiRoute.table(dataPlane.service(), authorizer, false, Map.of(), null,
        new DataLayout(data)::scratch);
    HttpServer.Builder builder = HttpServer.builder(HttpServerConfig.defaults());
    if (first != null) {
      builder.route(first);
    }
    HttpServer server = builder.route(() -> new TableRoute(api, workers)).route(() -> new TableRoute(legacy, workers)).build();
    int port = server.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    return new TableServer(server, "http://127.0.0.1:" + port);
  }

  String base() {
    return base;
  }

  @Override
  public void close() {
    server.close();
  }
}
