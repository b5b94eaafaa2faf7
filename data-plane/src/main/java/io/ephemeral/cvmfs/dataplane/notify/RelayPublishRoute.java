package io.ephemeral.cvmfs.dataplane.notify;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import java.util.Set;

/**
 * {@code POST /api/v1/notifications/publish} on a relay: always refused with 403 {@code
 * {"error":"read_only_relay"}}. A relay only repeats what the writer announces; a message posted
 * here would reach the subscribers of this one replica only, and without the checks the writer
 * makes. Other methods get 405, as on the writer.
 */
final class RelayPublishRoute extends NotificationRoute {

  static final String ERROR = "read_only_relay";

  // As the writer's publish route: the body is read and dropped, so the connection stays usable.
  private static final int MAX_BODY = 64 * 1024;

  RelayPublishRoute() {
    super("publish", Set.of(HttpMethod.POST), MAX_BODY);
  }

  @Override
  protected void onBody(ChannelHandlerContext ctx, HttpRequest request, byte[] body) throws NotificationException {
    throw new NotificationException(403, ERROR,
        "this server only relays the notifications of the writer: publish to the writer");
  }
}
