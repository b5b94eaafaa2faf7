package io.ephemeral.cvmfs.dataplane.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufHolder;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.channel.FileRegion;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.LastHttpContent;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches each request of a connection go by, on the event loop after the codec: begins its
 * {@link RequestFacts} at the head, counts the body bytes both ways, and tells the {@link
 * CompletedRequest.Listener} once the final response has been written to the end, or once the
 * connection closed before that. The {@link RequestGate} ahead lets one request at a time through,
 * so one request is followed at a time.
 */
final class ExchangeObserver extends ChannelDuplexHandler {

  private static final Logger LOG = LoggerFactory.getLogger(ExchangeObserver.class);

  private final CompletedRequest.Listener listener;
  private Exchange current;

  ExchangeObserver(CompletedRequest.Listener listener) {
    this.listener = listener;
  }

  /** One request in flight; changed on the event loop only, read by the listener once it ended. */
  private static final class Exchange {
    final String method;
    final long startNanos = System.nanoTime();
    final RequestFacts facts;
    final String client;
    long requestBytes;
    long responseBytes;
    int status;

    Exchange(String method, RequestFacts facts, String client) {
      this.method = method;
      this.facts = facts;
      this.client = client;
    }
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
    if (msg instanceof HttpRequest request) {
      if (current != null) {
        end(current, CompletedRequest.End.CLOSED); // not expected behind the gate; reported rather than lost
      }
      current = new Exchange(request.method().name(), RequestFacts.begin(ctx.channel()), client(ctx));
    }
    if (msg instanceof HttpContent content && current != null) {
      current.requestBytes += content.content().readableBytes();
    }
    ctx.fireChannelRead(msg);
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
    Exchange exchange = current;
    if (exchange == null) {
      ctx.write(msg, promise);
      return;
    }
    if (msg instanceof HttpResponse response) {
      if (response.status().codeClass() == HttpStatusClass.INFORMATIONAL) {
        ctx.write(msg, promise); // 100 Continue: the final response is still to come
        return;
      }
      exchange.status = response.status().code();
    }
    exchange.responseBytes += bodyBytes(msg);
    // Without a status yet, a last part ends a 1xx response sent in parts.
    if (!(msg instanceof LastHttpContent) || exchange.status == 0) {
      ctx.write(msg, promise);
      return;
    }
    current = null;
    if (promise.isVoid()) {
      ctx.write(msg, promise);
      end(exchange, CompletedRequest.End.ANSWERED);
    } else {
      promise.addListener(written -> end(exchange,
          written.isSuccess() ? CompletedRequest.End.ANSWERED : CompletedRequest.End.WRITE_FAILED));
      ctx.write(msg, promise);
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    if (current != null) {
      Exchange exchange = current;
      current = null;
      end(exchange, CompletedRequest.End.CLOSED);
    }
    ctx.fireChannelInactive();
  }

  private static long bodyBytes(Object msg) {
    if (msg instanceof ByteBufHolder holder) {
      return holder.content().readableBytes();
    }
    if (msg instanceof ByteBuf buffer) {
      return buffer.readableBytes(); // a route that took the connection over writes bytes as they are
    }
    if (msg instanceof FileRegion region) {
      return region.count();
    }
    return 0;
  }

  private void end(Exchange exchange, CompletedRequest.End end) {
    try {
      listener.completed(new CompletedRequest(exchange.method, exchange.status, exchange.facts, exchange.requestBytes,
          exchange.responseBytes, Duration.ofNanos(System.nanoTime() - exchange.startNanos), exchange.client, end));
    } catch (RuntimeException e) {
      LOG.warn("recording a request failed", e);
    }
  }

  private static String client(ChannelHandlerContext ctx) {
    SocketAddress remote = ctx.channel().remoteAddress();
    if (remote instanceof InetSocketAddress inet) {
      return inet.getAddress() != null ? inet.getAddress().getHostAddress() : inet.getHostString();
    }
    return String.valueOf(remote);
  }
}
