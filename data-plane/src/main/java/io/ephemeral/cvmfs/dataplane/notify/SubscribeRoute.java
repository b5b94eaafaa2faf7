package io.ephemeral.cvmfs.dataplane.notify;

import io.ephemeral.cvmfs.dataplane.http.HttpServer;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import java.util.Set;

/**
 * {@code GET /api/v1/notifications/subscribe} with the body {@code {"version":1,"repository":
 * "<fqrn>"}} (format.md 10.4; the stock client sends a body with its GET, {@code POST} is accepted
 * too): turns the connection into the repository's event stream. Only a malformed body is
 * refused; a repository this server does not know is held open (format.md 10.7).
 */
public final class SubscribeRoute extends NotificationRoute {

  /** The route label of a subscription by POST: a write by method, yet it changes nothing. */
  public static final String POST_ROUTE = "POST " + BASE_PATH + "subscribe";

  private static final int MAX_BODY = 4096;

  private final NotificationHub hub;

  public SubscribeRoute(NotificationHub hub) {
    super("subscribe", Set.of(HttpMethod.GET, HttpMethod.POST), MAX_BODY);
    this.hub = hub;
  }

  @Override
  protected void onBody(ChannelHandlerContext ctx, HttpRequest request, byte[] body) throws NotificationException {
    SubscribeRequest subscription = SubscribeRequest.parse(body);
    // On the event loop, ahead of the routes: from here on the stream owns the connection.
    ctx.pipeline().addAfter(HttpServer.KEEP_ALIVE_HANDLER, "event-stream",
        new EventStreamHandler(hub, subscription.repository(), ctx.channel()));
  }
}
