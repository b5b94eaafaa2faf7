package io.ephemeral.cvmfs.dataplane.api;

import io.ephemeral.cvmfs.dataplane.http.RequestBodyStream;
import io.ephemeral.cvmfs.dataplane.http.RequestFacts;
import io.ephemeral.cvmfs.dataplane.http.RouteHandler;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.multipart.DefaultHttpDataFactory;
import io.netty.handler.codec.http.multipart.HttpPostRequestDecoder;
import java.io.IOException;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.stream.Collectors;

/**
 * Serves a {@link RouteTable} on one connection. For each request it decodes the path strictly,
 * finds the endpoint (404, or 405 with {@code Allow}), records it in {@link RequestFacts}, checks
 * access, reads the declared query parameters, then reads the body as the endpoint declares and
 * runs the action on a worker: at once for no body or a streamed one, once the body is complete
 * otherwise. Whatever the request holds (body buffers, uploaded files) is released when the
 * action ends, is refused by a busy pool, or the client goes away.
 */
public final class TableRoute extends RouteHandler {

  // Form files larger than this go to the repository's scratch folder instead of memory.
  private static final long IN_MEMORY_FORM_FILE = 64 * 1024;

  private final RouteTable table;
  private final Executor workers;

  // The request whose body is arriving; routes run on one thread per connection.
  private ApiCall reading;
  private RequestBodyStream stream;
  private ByteBuf collected;
  private HttpPostRequestDecoder form;
  private DefaultHttpDataFactory formFiles;

  public TableRoute(RouteTable table, Executor workers) {
    this.table = table;
    this.workers = workers;
  }

  @Override
  protected boolean onRequest(ChannelHandlerContext ctx, HttpRequest request) {
    reading = null;
    String target = request.uri();
    String rawPath = path(target);
    int query = target.indexOf('?');
    boolean hasBody = HttpUtil.isContentLengthSet(request) ? HttpUtil.getContentLength(request, 0) > 0
        : HttpUtil.isTransferEncodingChunked(request);
    RouteTable.Dialect dialect = table.dialect();
    String path;
    try {
      path = UrlPaths.decode(rawPath);
    } catch (IllegalArgumentException e) {
      if (!table.owns(rawPath)) {
        return false;
      }
      dialect.answer(ctx, ApiError.of(HttpResponseStatus.BAD_REQUEST, "invalid_request", e.getMessage()), !hasBody, null);
      return true;
    }
    Optional<RouteTable.Match> found = table.match(request.method(), path);
    if (found.isEmpty()) {
      return false;
    }
    RouteTable.Match match = found.get();
    if (match.endpoint() == null) {
      if (match.allowed().isEmpty()) {
        dialect.answer(ctx, dialect.notFound(path), !hasBody, null);
      } else {
        String allow = match.allowed().stream().map(HttpMethod::name).collect(Collectors.joining(", "));
        dialect.answer(ctx, dialect.methodNotAllowed(request.method()), !hasBody,
            new DefaultHttpHeaders().set(HttpHeaderNames.ALLOW, allow));
      }
      return true;
    }
    RouteTable.Endpoint endpoint = match.endpoint();
    RequestFacts facts = RequestFacts.of(ctx.channel()).route(endpoint.label()).repository(match.variables().get("repo"));
    String repositoryPath = match.variables().get("path");
    if (repositoryPath != null) {
      facts.path("/" + repositoryPath.replaceAll("^/+", ""));
    }
    ApiCall call = new ApiCall(ctx, request, endpoint, dialect, match.variables(), facts);
    call.bodyPending(hasBody);
    Optional<ApiError> refusal = dialect.refusal(endpoint, call);
    if (refusal.isPresent()) {
      call.error(refusal.get());
      return true;
    }
    try {
      call.readParameters(QueryParameters.parse(query < 0 ? null : target.substring(query + 1)));
    } catch (InvalidParameterException e) {
      call.error(e);
      return true;
    } catch (IllegalArgumentException e) {
      call.error(ApiError.of(HttpResponseStatus.BAD_REQUEST, "invalid_request", e.getMessage()));
      return true;
    }
    switch (endpoint.body()) {
      case NONE -> start(call, null);
      case STREAMED -> {
        stream = new RequestBodyStream(ctx.channel());
        call.stream(stream);
        start(call, stream);
      }
      case JSON, BYTES -> {
        if (HttpUtil.getContentLength(request, 0L) > RouteTable.MAX_SMALL_BODY) {
          // Refused from the head, without waiting for a body that may never come.
          call.error(tooLarge());
          return true;
        }
        collected = Unpooled.buffer();
      }
      case FORM -> startForm(call);
    }
    reading = call;
    return true;
  }

  private void startForm(ApiCall call) {
    DefaultHttpDataFactory files = new DefaultHttpDataFactory(IN_MEMORY_FORM_FILE);
    files.setBaseDir(table.formFiles(call.repo()).toString());
    // Deleted when done or cut off; deleteOnExit would keep every name in memory until the JVM ends.
    files.setDeleteOnExit(false);
    try {
      form = new HttpPostRequestDecoder(files, call.request());
      formFiles = files;
    } catch (HttpPostRequestDecoder.ErrorDataDecoderException e) {
      // Not a form the decoder can read: the action sees one without parts and refuses it.
      files.cleanAllHttpData();
    }
  }

  @Override
  protected void onContent(ChannelHandlerContext ctx, HttpContent content) throws Exception {
    ApiCall call = reading;
    if (call == null) {
      super.onContent(ctx, content);
      return;
    }
    try {
      if (content.decoderResult().isFailure()) {
        abandon(new IOException("broken request body"));
        ctx.close();
        return;
      }
      switch (call.endpoint().body()) {
        case STREAMED -> stream.offer(content.content().retain());
        case JSON, BYTES -> {
          if (collected.readableBytes() + content.content().readableBytes() > RouteTable.MAX_SMALL_BODY) {
            abandon(null);
            call.error(tooLarge());
            return;
          }
          collected.writeBytes(content.content());
        }
        case FORM -> {
          if (form != null) {
            try {
              form.offer(content);
            } catch (HttpPostRequestDecoder.ErrorDataDecoderException e) {
              abandon(null);
              call.error(ApiError.of(HttpResponseStatus.BAD_REQUEST, "invalid_request",
                  "malformed multipart body: " + e.getMessage()));
              return;
            }
          }
        }
        case NONE -> { }
      }
      if (content instanceof LastHttpContent) {
        complete(call);
      }
    } finally {
      content.release();
    }
  }

  // The body has arrived: the connection can go on after the answer, and waiting actions start.
  private void complete(ApiCall call) {
    reading = null;
    call.bodyPending(false);
    switch (call.endpoint().body()) {
      case STREAMED -> {
        stream.end();
        stream = null;
      }
      case JSON, BYTES -> {
        ByteBuf body = collected;
        collected = null;
        call.collected(body);
        start(call, body::release);
      }
      case FORM -> {
        HttpPostRequestDecoder decoder = form;
        DefaultHttpDataFactory files = formFiles;
        form = null;
        formFiles = null;
        call.form(decoder);
        start(call, decoder == null ? null : () -> release(decoder, files));
      }
      case NONE -> { }
    }
  }

  private void start(ApiCall call, AutoCloseable held) {
    BlockingWork.run(workers, held, () -> {
      try {
        call.endpoint().action().run(call);
      } catch (InvalidParameterException e) {
        call.error(e);
      }
    }, call::error);
  }

  /** Drops the body being read: {@code cause}, if given, is what a streaming action reads next. */
  private void abandon(IOException cause) {
    reading = null;
    if (stream != null) {
      if (cause != null) {
        stream.fail(cause);
      } else {
        stream.close();
      }
      stream = null;
    }
    if (collected != null) {
      collected.release();
      collected = null;
    }
    if (form != null) {
      release(form, formFiles);
      form = null;
      formFiles = null;
    }
  }

  private static void release(HttpPostRequestDecoder decoder, DefaultHttpDataFactory files) {
    try {
      decoder.destroy();
    } finally {
      files.cleanAllHttpData();
    }
  }

  private static ApiError tooLarge() {
    return ApiError.of(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, "too_large",
        "the body may have at most " + RouteTable.MAX_SMALL_BODY + " bytes here");
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    abandon(new IOException("the client closed the connection before the body was complete"));
    super.channelInactive(ctx);
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    abandon(new IOException("the connection is being closed"));
  }
}
