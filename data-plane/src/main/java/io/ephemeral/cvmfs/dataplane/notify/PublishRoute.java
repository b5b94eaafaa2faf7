package io.ephemeral.cvmfs.dataplane.notify;

import io.ephemeral.cvmfs.dataplane.http.RequestFacts;
import io.ephemeral.cvmfs.dataplane.http.WriteAuthorizer;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.io.IOException;
import java.util.Optional;
import java.util.Set;

/**
 * {@code POST /api/v1/notifications/publish} with an activity message as body, in any content
 * type ({@code cvmfs_swissknife notify -p} sends {@code application/x-www-form-urlencoded}).
 * Unlike the gateway this needs the repository's bearer token, and the message is checked before
 * it is fanned out (see {@link RevisionAnnouncer#announcePublished}). Answers {@code
 * {"status":"ok"}} as the gateway does.
 */
public final class PublishRoute extends NotificationRoute {

  // A manifest is well under 1 KiB; this leaves room for large custom fields.
  private static final int MAX_BODY = 64 * 1024;

  private final WriteAuthorizer authorizer;
  private final RevisionAnnouncer announcer;

  public PublishRoute(WriteAuthorizer authorizer, RevisionAnnouncer announcer) {
    super("publish", Set.of(HttpMethod.POST), MAX_BODY);
    this.authorizer = authorizer;
    this.announcer = announcer;
  }

  @Override
  protected void onBody(ChannelHandlerContext ctx, HttpRequest request, byte[] body)
      throws NotificationException, IOException {
    ActivityMessage message = ActivityMessage.parse(body);
    RequestFacts.of(ctx.channel()).repository(message.repository());
    Optional<HttpResponseStatus> denied = authorizer.check(request, message.repository());
    if (denied.isPresent()) {
      throw switch (denied.get().code()) {
        case 401 -> new NotificationException(401, "missing_token",
            "publishing needs the header Authorization: Bearer <token of " + message.repository() + ">");
        case 403 -> new NotificationException(403, "invalid_token", "the token is not that of " + message.repository());
        default -> NotificationException.unknownRepository(message.repository());
      };
    }
    announcer.announcePublished(message);
    ctx.writeAndFlush(json(HttpResponseStatus.OK, ActivityMessage.JSON.createObjectNode().put("status", "ok")));
  }
}
