package io.ephemeral.cvmfs.dataplane.observability;

import io.ephemeral.cvmfs.dataplane.api.JsonResponses;
import io.ephemeral.cvmfs.dataplane.format.Whitelist;
import io.ephemeral.cvmfs.dataplane.http.RouteHandler;
import io.ephemeral.cvmfs.dataplane.maintenance.WhitelistInstaller;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

/**
 * {@code /healthz}: the process answers. {@code /readyz}: every repository serves a whitelist
 * that clients accept for at least the configured number of days, since a client cannot mount,
 * or take a new revision, once it has expired (spec 11.3).
 */
public final class HealthRoute extends RouteHandler {

  private final Map<String, WhitelistInstaller> whitelists;
  private final Duration minimumLeft;

  public HealthRoute(Map<String, WhitelistInstaller> whitelists, Duration minimumLeft) {
    this.whitelists = whitelists;
    this.minimumLeft = minimumLeft;
  }

  @Override
  protected boolean onRequest(ChannelHandlerContext ctx, HttpRequest request) {
    String path = new QueryStringDecoder(request.uri()).path();
    if (!request.method().equals(HttpMethod.GET) && !request.method().equals(HttpMethod.HEAD)) {
      return false; // the fallback answers 405
    }
    if (path.equals("/healthz")) {
      JsonResponses.send(ctx, HttpResponseStatus.OK, JsonResponses.JSON.createObjectNode().put("status", "up"), true);
      return true;
    }
    if (!path.equals("/readyz")) {
      return false;
    }
    var body = JsonResponses.JSON.createObjectNode();
    var repositories = body.putObject("whitelists");
    boolean ready = true;
    Instant deadline = Instant.now().plus(minimumLeft);
    for (Map.Entry<String, WhitelistInstaller> entry : whitelists.entrySet()) {
      Whitelist whitelist = entry.getValue().current();
      boolean fine = whitelist != null && whitelist.clientExpiry().isAfter(deadline);
      repositories.put(entry.getKey(), whitelist == null ? "missing" : (fine ? "valid until " : "expiring at ")
          + whitelist.clientExpiry());
      ready &= fine;
    }
    body.put("status", ready ? "ready" : "not ready");
    JsonResponses.send(ctx, ready ? HttpResponseStatus.OK : HttpResponseStatus.SERVICE_UNAVAILABLE, body, true);
    return true;
  }
}
