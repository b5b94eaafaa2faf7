package io.ephemeral.cvmfs.dataplane.observability;

import io.ephemeral.cvmfs.common.format.Whitelist;
import io.ephemeral.cvmfs.dataplane.api.JsonResponses;
import io.ephemeral.cvmfs.dataplane.http.RequestFacts;
import io.ephemeral.cvmfs.dataplane.http.RouteHandler;
import io.ephemeral.cvmfs.dataplane.maintenance.WhitelistInstaller;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code /healthz}: the process answers. {@code /readyz}: every repository serves a whitelist
 * that clients still accept, since a client cannot mount, or take a new revision, once it has
 * expired (format.md 11.3). One that expires within the configured number of days is a warning in
 * the answer and the log, not a reason to take the only replica out of its Service: it still
 * serves, and the metric {@code cvmfs_whitelist_seconds_left} tells an alert.
 */
public final class HealthRoute extends RouteHandler {

  private static final Logger LOG = LoggerFactory.getLogger(HealthRoute.class);

  private final Map<String, WhitelistInstaller> whitelists;
  private final Duration minimumLeft;
  /** Logs a warning once while it holds, not at every probe. */
  private final AtomicBoolean warned = new AtomicBoolean();

  public HealthRoute(Map<String, WhitelistInstaller> whitelists, Duration minimumLeft) {
    this.whitelists = whitelists;
    this.minimumLeft = minimumLeft;
  }

  @Override
  protected boolean onRequest(ChannelHandlerContext ctx, HttpRequest request) {
    // Compared undecoded: Netty's decoding throws on a malformed escape, which would cut the
    // connection instead of letting a later route answer 400.
    String path = path(request.uri());
    if (!request.method().equals(HttpMethod.GET) && !request.method().equals(HttpMethod.HEAD)) {
      return false; // the fallback answers 405
    }
    if (path.equals("/healthz") || path.equals("/readyz")) {
      RequestFacts.of(ctx.channel()).route(request.method().name() + " " + path);
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
    var warnings = body.putArray("warnings");
    boolean ready = true;
    Instant now = Instant.now();
    Instant deadline = now.plus(minimumLeft);
    for (Map.Entry<String, WhitelistInstaller> entry : whitelists.entrySet()) {
      Whitelist whitelist = entry.getValue().current();
      boolean accepted = whitelist != null && whitelist.clientExpiry().isAfter(now);
      if (accepted && !whitelist.clientExpiry().isAfter(deadline)) {
        warnings.add("the whitelist of " + entry.getKey() + " expires at " + whitelist.clientExpiry()
            + ", within " + minimumLeft.toDays() + " days: re-sign it");
      }
      repositories.put(entry.getKey(), whitelist == null ? "missing" : (accepted ? "valid until " : "expired at ")
          + whitelist.clientExpiry());
      ready &= accepted;
    }
    if (!warnings.isEmpty() && warned.compareAndSet(false, true)) {
      LOG.warn("{}", warnings.get(0).asText());
    } else if (warnings.isEmpty()) {
      warned.set(false);
    }
    body.put("status", ready ? "ready" : "not ready");
    JsonResponses.send(ctx, ready ? HttpResponseStatus.OK : HttpResponseStatus.SERVICE_UNAVAILABLE, body, true);
    return true;
  }
}
