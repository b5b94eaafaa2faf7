package io.ephemeral.cvmfs.dataplane.http;

import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The requests one {@link HttpServer} is working on, each from the moment its connection's
 * {@link RequestGate} lets its head through to the last byte of its response (or the end of its
 * connection). A shutdown drains them: once {@link #startDraining} is called the gates answer new
 * requests with 503, {@link #awaitIdle} waits for those in flight, and {@link #cutAll} ends the
 * ones that outlast the grace, logging one line for each.
 */
public final class InFlightRequests {

  private static final Logger LOG = LoggerFactory.getLogger(InFlightRequests.class);

  // How long cutting waits for a connection's event loop to do it; the loops are idle by then.
  private static final long CUT_WAIT_MILLIS = 2_000;

  private final Set<Request> active = new HashSet<>();
  private volatile boolean draining;

  /** A request cut when the shutdown grace ran out: what its log line says. */
  public record Cut(String method, String path, String client, long bodyBytes, boolean bodyComplete, Duration age) {
    @Override
    public String toString() {
      String body;
      if (!bodyComplete) {
        body = bodyBytes + " bytes of its body received, not all of it (nothing of it is committed)";
      } else if (bodyBytes > 0) {
        body = "its whole body of " + bodyBytes + " bytes received (what it publishes may still be committed)";
      } else {
        body = "no request body";
      }
      return method + " " + path + " from " + client + " after " + age.toMillis() + " ms, " + body;
    }
  }

  /** One request in flight, updated by its connection's gate on the event loop. */
  static final class Request {
    private final String method;
    private final String path;
    private final String client;
    private final long startNanos = System.nanoTime();
    private final EventExecutor loop;
    private final Function<Request, Cut> cutter;
    private volatile long bodyBytes;
    private volatile boolean bodyComplete;

    private Request(HttpRequest head, Channel channel, Function<Request, Cut> cutter) {
      this.method = head.method().name();
      // Without the query, which no log needs.
      this.path = RouteHandler.path(head.uri());
      SocketAddress remote = channel.remoteAddress();
      this.client = remote == null ? "?" : remote.toString().replaceFirst("^/", "");
      this.loop = channel.eventLoop();
      this.cutter = cutter;
    }

    void received(long bytes, boolean last) {
      bodyBytes += bytes;
      if (last) {
        bodyComplete = true;
      }
    }

    /** What a cut of this request now would have cut. */
    Cut describe() {
      return new Cut(method, path, client, bodyBytes, bodyComplete, Duration.ofNanos(System.nanoTime() - startNanos));
    }
  }

  /** Counts in a request let through; {@code cutter} ends it on its event loop, or returns null if it already ended. */
  synchronized Request begin(HttpRequest head, Channel channel, Function<Request, Cut> cutter) {
    Request request = new Request(head, channel, cutter);
    active.add(request);
    return request;
  }

  /** The request's response has been written to its end, or its connection is gone; repeating it is harmless. */
  synchronized void end(Request request) {
    if (active.remove(request) && active.isEmpty()) {
      notifyAll();
    }
  }

  /** Requests in flight now. */
  public synchronized int count() {
    return active.size();
  }

  /** From now on new requests are answered 503 and connections close after their current response. */
  public void startDraining() {
    draining = true;
  }

  public boolean draining() {
    return draining;
  }

  /** Waits until no request is in flight or {@link System#nanoTime} passes {@code deadlineNanos}; true if none is. */
  public synchronized boolean awaitIdle(long deadlineNanos) throws InterruptedException {
    while (!active.isEmpty()) {
      long left = deadlineNanos - System.nanoTime();
      if (left <= 0) {
        return false;
      }
      TimeUnit.NANOSECONDS.timedWait(this, left);
    }
    return true;
  }

  /**
   * Cuts every request still in flight: one whose response has not begun is answered 503, then its
   * connection is closed, which fails a body still being read so that nothing of it is committed.
   * Logs and returns what was cut.
   */
  public List<Cut> cutAll() {
    List<Request> left;
    synchronized (this) {
      left = List.copyOf(active);
    }
    List<Future<Cut>> cutting = new ArrayList<>();
    for (Request request : left) {
      cutting.add(request.loop.submit(() -> request.cutter.apply(request)));
    }
    List<Cut> cut = new ArrayList<>();
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(CUT_WAIT_MILLIS);
    for (int i = 0; i < cutting.size(); i++) {
      Future<Cut> future = cutting.get(i);
      Cut what;
      if (future.awaitUninterruptibly(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)
          && future.isSuccess()) {
        what = future.getNow();
      } else {
        // The loop did not get to it: name it anyway, the close that follows ends it.
        what = left.get(i).describe();
      }
      if (what != null) {
        LOG.warn("shutdown grace over, cut {}", what);
        cut.add(what);
      }
    }
    return cut;
  }
}
