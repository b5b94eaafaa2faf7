package io.ephemeral.cvmfs.dataplane.api;

import io.ephemeral.cvmfs.dataplane.format.Whitelist;
import io.ephemeral.cvmfs.dataplane.http.RouteHandler;
import io.ephemeral.cvmfs.dataplane.http.WriteAuthorizer;
import io.ephemeral.cvmfs.dataplane.maintenance.GarbageCollector;
import io.ephemeral.cvmfs.dataplane.maintenance.InvalidWhitelistException;
import io.ephemeral.cvmfs.dataplane.maintenance.WhitelistInstaller;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executor;

/**
 * The maintenance endpoints: {@code POST /api/v1/repos/{fqrn}/gc[?dryRun=true]} and {@code PUT
 * /api/v1/repos/{fqrn}/whitelist}. Both need the repository's token; every other request goes
 * on to the publish API.
 */
public final class MaintenanceRoute extends RouteHandler {

  private static final String PREFIX = "/api/v1/repos/";
  private static final int MAX_WHITELIST = 64 * 1024;

  private final WriteAuthorizer authorizer;
  private final Executor workers;
  private final Map<String, GarbageCollector> collectors;
  private final Map<String, WhitelistInstaller> whitelists;

  private ByteBuf whitelistBody;
  private String whitelistFqrn;

  public MaintenanceRoute(WriteAuthorizer authorizer, Executor workers, Map<String, GarbageCollector> collectors,
      Map<String, WhitelistInstaller> whitelists) {
    this.authorizer = authorizer;
    this.workers = workers;
    this.collectors = collectors;
    this.whitelists = whitelists;
  }

  @Override
  protected boolean onRequest(ChannelHandlerContext ctx, HttpRequest request) {
    QueryStringDecoder uri = new QueryStringDecoder(request.uri());
    if (!uri.path().startsWith(PREFIX)) {
      return false;
    }
    String[] segments = uri.path().substring(PREFIX.length()).split("/", -1);
    if (segments.length != 2 || !(segments[1].equals("gc") || segments[1].equals("whitelist"))) {
      return false;
    }
    String fqrn = segments[0];
    boolean gc = segments[1].equals("gc");
    boolean hasBody = HttpUtil.isContentLengthSet(request) ? HttpUtil.getContentLength(request, 0) > 0
        : HttpUtil.isTransferEncodingChunked(request);
    HttpMethod expected = gc ? HttpMethod.POST : HttpMethod.PUT;
    if (!request.method().equals(expected)) {
      JsonResponses.error(ctx, ApiError.of(HttpResponseStatus.METHOD_NOT_ALLOWED, "method_not_allowed",
          request.method() + " is not allowed here; use " + expected), !hasBody);
      return true;
    }
    Optional<HttpResponseStatus> refusal = authorizer.check(request, fqrn);
    if (refusal.isPresent()) {
      JsonResponses.error(ctx, ApiError.refusal(refusal.get(), fqrn), !hasBody);
      return true;
    }
    if (gc) {
      boolean dryRun = Boolean.parseBoolean(uri.parameters().getOrDefault("dryRun", List.of("false")).get(0));
      run(ctx, !hasBody, () -> JsonResponses.send(ctx, HttpResponseStatus.OK,
          JsonResponses.JSON.valueToTree(collectors.get(fqrn).collect(dryRun)), !hasBody));
    } else {
      whitelistBody = Unpooled.buffer();
      whitelistFqrn = fqrn;
    }
    return true;
  }

  @Override
  protected void onContent(ChannelHandlerContext ctx, HttpContent content) {
    try {
      if (content.decoderResult().isFailure()) {
        release();
        ctx.close();
        return;
      }
      if (whitelistBody == null) {
        return;
      }
      if (whitelistBody.readableBytes() + content.content().readableBytes() > MAX_WHITELIST) {
        release();
        JsonResponses.error(ctx, ApiError.of(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, "too_large",
            "a whitelist may have at most " + MAX_WHITELIST + " bytes"), false);
        return;
      }
      whitelistBody.writeBytes(content.content());
      if (content instanceof LastHttpContent) {
        byte[] file = ByteBufUtil.getBytes(whitelistBody);
        WhitelistInstaller installer = whitelists.get(whitelistFqrn);
        release();
        run(ctx, true, () -> install(ctx, installer, file));
      }
    } finally {
      content.release();
    }
  }

  private static void install(ChannelHandlerContext ctx, WhitelistInstaller installer, byte[] file) throws Exception {
    try {
      installer.install(file);
    } catch (InvalidWhitelistException e) {
      JsonResponses.error(ctx, ApiError.of(HttpResponseStatus.UNPROCESSABLE_ENTITY, "invalid_whitelist", e.getMessage()),
          true);
      return;
    }
    Whitelist served = installer.current();
    JsonResponses.send(ctx, HttpResponseStatus.OK, JsonResponses.JSON.createObjectNode()
        .put("expiresAt", served == null ? null : served.clientExpiry().toString()), true);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    release();
    super.channelInactive(ctx);
  }

  private void release() {
    if (whitelistBody != null) {
      whitelistBody.release();
      whitelistBody = null;
    }
  }

  private void run(ChannelHandlerContext ctx, boolean keepAlive, BlockingWork.Work work) {
    BlockingWork.run(workers, work, error -> {
      if (ctx.channel().isActive()) {
        JsonResponses.error(ctx, error, keepAlive);
      }
    });
  }

}
