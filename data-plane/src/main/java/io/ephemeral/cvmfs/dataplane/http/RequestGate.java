package io.ephemeral.cvmfs.dataplane.http;

import static io.netty.handler.codec.http.HttpVersion.HTTP_1_1;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.nio.channels.ClosedChannelException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Set;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Lets one request at a time through to the routes, on the event loop, after the codec: the next
 * request goes on only once the response to the current one has been written to the end
 * (RFC 9112, 9.3.2: responses leave in the order of the requests, even when a route answers from
 * another thread). Requests that arrive meanwhile are held here, and reading from the socket
 * pauses until they are let through, so a client pipelining many requests costs little memory.
 *
 * <p>It also answers what no route should see: methods this server does not implement (501), and
 * requests whose head takes longer than the header timeout (408). It closes connections that wait
 * for their next request longer than the idle timeout, and those whose request body stalls as long.
 * While a response is being produced or streamed no timeout runs: an event stream stays open, and
 * a slow publish is waited for. A {@link ByteWatcher} ahead of the codec reports the arrival of
 * bytes, which starts the header timeout of a new request and keeps a flowing body alive.
 *
 * <p>Each request let through is counted in {@link InFlightRequests} until its response has been
 * written to the end. While the server drains for a shutdown, a new request is answered 503 and
 * the connection closed, a response in progress is marked {@code Connection: close} and the
 * connection closed after it, and a request cut at the end of the grace gets 503 if its response
 * had not begun.
 */
final class RequestGate extends ChannelDuplexHandler {

  private static final Set<String> KNOWN_METHODS =
      Set.of("GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH");

  private enum Timer { NONE, HEADER_FIRST_BYTE, HEADER, IDLE, BODY }

  private final long headerTimeoutMillis;
  private final long idleTimeoutMillis;
  private final ConnectionStats stats;
  private final InFlightRequests inFlight;
  private final ArrayDeque<Object> held = new ArrayDeque<>();
  private ChannelHandlerContext ctx;
  // A request was let through and its final response has not been written to the end.
  private boolean responsePending;
  // The body of the request let through last is still arriving.
  private boolean receiving;
  // The body of a request answered here is being dropped.
  private boolean discarding;
  private boolean paused;
  private Timer timer = Timer.NONE;
  private ScheduledFuture<?> timeout;
  // The request let through last, until its response has been written to the end.
  private InFlightRequests.Request current;
  private boolean responseStarted;
  // The current request was cut for a shutdown: what its route still writes is dropped.
  private boolean cut;
  // A request was refused for a shutdown and the connection is closing: whatever follows is dropped.
  private boolean refusing;

  RequestGate(ConnectionLimits limits, ConnectionStats stats, InFlightRequests inFlight) {
    this.headerTimeoutMillis = limits.headerTimeout().toMillis();
    this.idleTimeoutMillis = limits.idleTimeout().toMillis();
    this.stats = stats;
    this.inFlight = inFlight;
  }

  /** The handler to put ahead of the codec, which tells this one when bytes arrive. */
  ChannelInboundHandlerAdapter byteWatcher() {
    return new ByteWatcher();
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    if (ctx.channel().isActive()) {
      schedule(Timer.HEADER_FIRST_BYTE);
    }
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    if (timer == Timer.NONE) {
      schedule(Timer.HEADER_FIRST_BYTE);
    }
    ctx.fireChannelActive();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!held.isEmpty() || (msg instanceof HttpRequest && responsePending)) {
      held.add(msg);
      paused = true;
      // Set again on every held message: a route may have resumed reading for its own reasons.
      ctx.channel().config().setAutoRead(false);
      return;
    }
    dispatch(msg);
  }

  private void dispatch(Object msg) {
    if (refusing) {
      ReferenceCountUtil.release(msg);
      return;
    }
    if (msg instanceof HttpRequest request) {
      cancelTimer();
      receiving = !(msg instanceof LastHttpContent);
      if (inFlight.draining()) {
        discarding = receiving;
        receiving = false;
        ReferenceCountUtil.release(msg);
        shuttingDown();
        return;
      }
      if (request.decoderResult().isSuccess() && !KNOWN_METHODS.contains(request.method().name())) {
        discarding = receiving;
        receiving = false;
        ReferenceCountUtil.release(msg);
        notImplemented(request);
        return;
      }
      responsePending = true;
      responseStarted = false;
      discarding = false;
      current = inFlight.begin(request, ctx.channel(), this::cut);
      if (!receiving) {
        current.received(0, true);
      }
      if (receiving) {
        schedule(Timer.BODY);
      }
    } else if (msg instanceof HttpContent) {
      if (discarding) {
        discarding = !(msg instanceof LastHttpContent);
        ReferenceCountUtil.release(msg);
        if (awaitingRequest()) {
          schedule(Timer.IDLE);
        }
        return;
      }
      if (current != null && receiving) {
        current.received(((HttpContent) msg).content().readableBytes(), msg instanceof LastHttpContent);
      }
      if (msg instanceof LastHttpContent && receiving) {
        receiving = false;
        if (timer == Timer.BODY) {
          cancelTimer();
        }
        if (awaitingRequest()) {
          schedule(Timer.IDLE); // answered before its body had arrived
        }
      }
    }
    ctx.fireChannelRead(msg);
  }

  private void notImplemented(HttpRequest request) {
    byte[] body = ("{\"error\":\"not_implemented\",\"detail\":\"" + request.method().name()
        + " is not implemented\"}").getBytes(StandardCharsets.US_ASCII);
    FullHttpResponse response = json(HttpResponseStatus.NOT_IMPLEMENTED, body);
    boolean keepAlive = HttpUtil.isKeepAlive(request);
    HttpUtil.setKeepAlive(response, keepAlive);
    var write = ctx.writeAndFlush(response);
    if (!keepAlive) {
      write.addListener(ChannelFutureListener.CLOSE);
    } else {
      afterResponse();
    }
  }

  /** Answers a request that arrived during a shutdown drain, then closes: the client should go elsewhere. */
  private void shuttingDown() {
    refusing = true;
    ctx.writeAndFlush(shuttingDownResponse("the server is shutting down; retry on another server"))
        .addListener(ChannelFutureListener.CLOSE);
  }

  private static FullHttpResponse shuttingDownResponse(String detail) {
    FullHttpResponse response = json(HttpResponseStatus.SERVICE_UNAVAILABLE,
        ("{\"error\":\"shutting_down\",\"detail\":\"" + detail + "\"}").getBytes(StandardCharsets.US_ASCII));
    HttpUtil.setKeepAlive(response, false);
    return response;
  }

  /**
   * Ends {@code request}, still in flight when the shutdown grace ran out: 503 if its response had
   * not begun, then the connection closes without lingering, which fails a body still being read.
   * Returns what was cut, or null if the request had already ended.
   */
  private InFlightRequests.Cut cut(InFlightRequests.Request request) {
    if (current != request || ctx.isRemoved()) {
      return null;
    }
    InFlightRequests.Cut what = request.describe();
    cut = true;
    current = null;
    inFlight.end(request);
    // From the first handler on, the close skips the lingering closer: no more waiting for the body.
    ChannelHandlerContext first = ctx.pipeline().firstContext();
    if (!responseStarted && ctx.channel().isActive()) {
      ctx.writeAndFlush(shuttingDownResponse("the server shut down before this request was done"))
          .addListener(written -> first.close());
    } else {
      first.close();
    }
    return what;
  }

  private static FullHttpResponse json(HttpResponseStatus status, byte[] body) {
    FullHttpResponse response = new DefaultFullHttpResponse(HTTP_1_1, status, Unpooled.wrappedBuffer(body));
    response.headers()
        .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
        .set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_STORE)
        .setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
    return response;
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
    if (cut) {
      ReferenceCountUtil.release(msg);
      promise.tryFailure(new ClosedChannelException());
      return;
    }
    boolean informational = msg instanceof HttpResponse response
        && response.status().codeClass() == HttpStatusClass.INFORMATIONAL;
    if (responsePending && msg instanceof HttpResponse response && !informational) {
      responseStarted = true;
      if (inFlight.draining()) {
        HttpUtil.setKeepAlive(response, false);
      }
    }
    boolean ends = responsePending && msg instanceof LastHttpContent && !informational;
    if (!ends) {
      ctx.write(msg, promise);
      return;
    }
    responsePending = false;
    InFlightRequests.Request done = current;
    current = null;
    boolean close = inFlight.draining();
    // In flight until the last byte has left; while draining the connection takes no further request.
    // The next request, and with it the idle timeout, waits until then too: a long download is no idle time.
    ChannelPromise written = promise.unvoid();
    ctx.write(msg, written);
    written.addListener(result -> {
      if (done != null) {
        inFlight.end(done);
      }
      if (close) {
        ctx.close();
      }
      // Later, not from within a write: what is let through next may write at once.
      ctx.executor().execute(this::afterResponse);
    });
  }

  /** Lets held requests through up to the next one that must wait; resumes reading once none is held. */
  private void afterResponse() {
    if (ctx.isRemoved()) {
      return;
    }
    boolean any = false;
    while (!held.isEmpty() && !(responsePending && held.peek() instanceof HttpRequest)) {
      dispatch(held.poll());
      any = true;
    }
    if (any) {
      ctx.fireChannelReadComplete();
    }
    if (held.isEmpty() && paused) {
      paused = false;
      ctx.channel().config().setAutoRead(true);
    }
    if (awaitingRequest()) {
      schedule(Timer.IDLE);
    }
  }

  private boolean awaitingRequest() {
    return !responsePending && !receiving && !discarding && held.isEmpty();
  }

  private void bytesArrived() {
    if (awaitingRequest()) {
      if (timer != Timer.HEADER) {
        schedule(Timer.HEADER);
      }
    } else if (timer == Timer.BODY) {
      schedule(Timer.BODY);
    }
  }

  private void schedule(Timer kind) {
    cancelTimer();
    long millis = kind == Timer.IDLE || kind == Timer.BODY ? idleTimeoutMillis : headerTimeoutMillis;
    if (millis <= 0) {
      return;
    }
    timer = kind;
    timeout = ctx.executor().schedule(() -> expired(kind), millis, TimeUnit.MILLISECONDS);
  }

  private void cancelTimer() {
    if (timeout != null) {
      timeout.cancel(false);
      timeout = null;
    }
    timer = Timer.NONE;
  }

  private void expired(Timer kind) {
    if (timer != kind || !ctx.channel().isActive()) {
      return;
    }
    timer = Timer.NONE;
    timeout = null;
    stats.countTimeout();
    if (kind == Timer.HEADER) {
      FullHttpResponse response = json(HttpResponseStatus.REQUEST_TIMEOUT,
          "{\"error\":\"request_timeout\",\"detail\":\"the request head took too long\"}".getBytes(StandardCharsets.US_ASCII));
      HttpUtil.setKeepAlive(response, false);
      ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
    } else {
      ctx.close();
    }
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    cancelTimer();
    // Gone with its connection, or a route took the connection over (an event stream): no longer in flight.
    if (current != null) {
      inFlight.end(current);
      current = null;
    }
    held.forEach(ReferenceCountUtil::release);
    held.clear();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    handlerRemoved(ctx);
    ctx.fireChannelInactive();
  }

  /** Sits ahead of the codec and reports every read to the gate. */
  private final class ByteWatcher extends ChannelInboundHandlerAdapter {
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (msg instanceof ByteBuf bytes && bytes.isReadable() && !RequestGate.this.ctx.isRemoved()) {
        bytesArrived();
      }
      ctx.fireChannelRead(msg);
    }
  }
}
