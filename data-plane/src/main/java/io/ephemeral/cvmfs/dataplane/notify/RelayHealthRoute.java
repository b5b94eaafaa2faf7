package io.ephemeral.cvmfs.dataplane.notify;

import io.ephemeral.cvmfs.dataplane.api.JsonResponses;
import io.ephemeral.cvmfs.dataplane.http.RouteHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.List;
import java.util.OptionalLong;

/**
 * {@code /healthz} and {@code /readyz} of a relay: both 200 while it listens. Readiness does not
 * depend on the writer, since the relay is what must stay up while the writer restarts; the
 * body of {@code /readyz} tells, for each repository, the revision last relayed (null before the
 * first) and whether the subscription upstream is open.
 */
final class RelayHealthRoute extends RouteHandler {

  private final NotificationHub hub;
  private final List<String> repositories;
  private final NotificationRelay relay;

  RelayHealthRoute(NotificationHub hub, List<String> repositories, NotificationRelay relay) {
    this.hub = hub;
    this.repositories = repositories;
    this.relay = relay;
  }

  @Override
  protected boolean onRequest(ChannelHandlerContext ctx, HttpRequest request) {
    // Compared undecoded: Netty's decoding throws on a malformed escape, which would cut the
    // connection instead of letting a later route answer 400.
    String path = path(request.uri());
    if (path.equals("/healthz")) {
      JsonResponses.send(ctx, HttpResponseStatus.OK, JsonResponses.JSON.createObjectNode().put("status", "up"), true);
      return true;
    }
    if (!path.equals("/readyz")) {
      return false;
    }
    var body = JsonResponses.JSON.createObjectNode().put("status", "ready");
    var states = body.putObject("repositories");
    for (String fqrn : repositories) {
      OptionalLong revision = hub.revision(fqrn);
      var state = states.putObject(fqrn);
      if (revision.isPresent()) {
        state.put("revision", revision.getAsLong());
      } else {
        state.putNull("revision");
      }
      state.put("upstream", relay.upstreamConnected(fqrn) ? "subscribed" : "not subscribed");
    }
    JsonResponses.send(ctx, HttpResponseStatus.OK, body, true);
    return true;
  }
}
