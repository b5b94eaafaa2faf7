package io.ephemeral.cvmfs.dataplane.http;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerExpectContinueHandler;
import io.netty.handler.codec.http.HttpServerKeepAliveHandler;
import io.netty.util.concurrent.DefaultEventExecutorGroup;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.EventExecutorGroup;
import io.netty.util.concurrent.Future;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP/1.1 server of the data plane.
 *
 * <p>Each connection gets this pipeline:
 *
 * <pre>
 *   event loop:     write timeout - bytes - codec - lingering close - gate - [observer] - body limit
 *                   - expect-continue - keep-alive - [cached objects]
 *   file executor:  route 1 - route 2 - ... - fallback (404 / 405 / 400)
 * </pre>
 *
 * The routes run on a separate executor group because they touch the disk, which must never
 * stall an event loop. With the repository route and an object cache, small objects read once
 * are answered from memory on the event loop. The {@link RequestGate} lets a connection's next
 * request through only once the current one is answered, so responses leave strictly in order
 * even when a route answers from a worker thread; it also runs the header and idle timeouts
 * (with "bytes" ahead of the codec), and answers unknown methods with 501. The {@link
 * WriteStallTimeout} closes connections whose client stopped reading a response, the {@link
 * RequestBodyLimit} refuses bodies above the server's limit. Connections beyond
 * {@link ConnectionLimits#maxConnections} in all or {@link ConnectionLimits#maxConnectionsPerClient}
 * from one address are closed at accept.
 *
 * <p>Every connection has TCP keep-alive on, so that connections to vanished peers are reaped
 * even where nothing is written for hours (notification streams).
 */
public final class HttpServer implements AutoCloseable {

  /** Name of the handler that runs the timeouts and orders responses; a route that takes the connection over removes it. */
  public static final String IDLE_HANDLER = "gate";

  /** Name of the handler reporting arrived bytes to {@link #IDLE_HANDLER}; a route that takes the connection over removes it. */
  public static final String BYTES_HANDLER = "bytes";

  /** Name of the HTTP codec; a route that takes the connection over removes it. */
  public static final String CODEC_HANDLER = "codec";

  /** Name of the handler answering {@code Expect: 100-continue}; a route that takes the connection over removes it. */
  public static final String EXPECT_CONTINUE_HANDLER = "expect-continue";

  /** Name of the handler after which a route may add its own on the event loop. */
  public static final String KEEP_ALIVE_HANDLER = "keep-alive";

  private static final String LINGERING_CLOSE_HANDLER = "lingering-close";

  private static final String CACHED_OBJECTS_HANDLER = "cached-objects";

  private static final String OBSERVER_HANDLER = "observer";

  private static final String WRITE_TIMEOUT_HANDLER = "write-timeout";

  private static final String BODY_LIMIT_HANDLER = "body-limit";

  private static final Logger LOG = LoggerFactory.getLogger(HttpServer.class);
  private static final int MAX_BODY_PART = 256 * 1024;

  private final HttpServerConfig config;
  private final List<Supplier<? extends RouteHandler>> routes;
  private final Supplier<CachedObjectResponder> cachedObjects;
  private final CompletedRequest.Listener observer;
  private final ConnectionStats stats;
  private final InFlightRequests inFlight = new InFlightRequests();
  private EventLoopGroup bossGroup;
  private EventLoopGroup workerGroup;
  private EventExecutorGroup fileGroup;
  private Channel serverChannel;

  private HttpServer(HttpServerConfig config, List<Supplier<? extends RouteHandler>> routes,
      Supplier<CachedObjectResponder> cachedObjects, CompletedRequest.Listener observer) {
    this.config = config;
    this.routes = List.copyOf(routes);
    this.cachedObjects = cachedObjects;
    this.observer = observer;
    this.stats = new ConnectionStats(config.maxConnections(), config.maxConnectionsPerClient());
  }

  /** Open, refused and timed-out connections, for the metrics. */
  public ConnectionStats connections() {
    return stats;
  }

  /** The requests being answered now; a shutdown drains them. */
  public InFlightRequests inFlight() {
    return inFlight;
  }

  public static Builder builder(HttpServerConfig config) {
    return new Builder(config);
  }

  /** Listens on the configured address; returns the bound port. */
  public int start() throws IOException {
    return start(config.address());
  }

  /** Listens on {@code address} (port 0 picks a free one); returns the bound port. */
  public synchronized int start(InetSocketAddress address) throws IOException {
    if (bossGroup != null) {
      throw new IllegalStateException("already started");
    }
    boolean epoll = Epoll.isAvailable();
    bossGroup = eventLoops(epoll, 1, "cvmfs-http-accept");
    workerGroup = eventLoops(epoll, config.ioThreads(), "cvmfs-http-io");
    int fileThreads = config.fileThreads() > 0
        ? config.fileThreads()
        : Math.max(4, 2 * Runtime.getRuntime().availableProcessors());
    fileGroup =
        new DefaultEventExecutorGroup(fileThreads, new DefaultThreadFactory("cvmfs-http-file"));
    Class<? extends ServerChannel> channelType =
        epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;

    ChannelFuture bind = new ServerBootstrap()
        .group(bossGroup, workerGroup)
        .channel(channelType)
        .option(ChannelOption.SO_BACKLOG, 1024)
        .option(ChannelOption.SO_REUSEADDR, true)
        .childOption(ChannelOption.SO_KEEPALIVE, true)
        .handler(new AcceptLimiter())
        .childHandler(new Initializer())
        .bind(address)
        .awaitUninterruptibly();
    if (!bind.isSuccess()) {
      close();
      throw new IOException("cannot listen on " + address, bind.cause());
    }
    serverChannel = bind.channel();
    InetSocketAddress local = (InetSocketAddress) serverChannel.localAddress();
    LOG.info("HTTP server listening on {} ({})", local, epoll ? "epoll" : "nio");
    return local.getPort();
  }

  /**
   * Stops accepting connections; those already open stay served until {@link #close}. Lets a
   * shutdown end long-lived streams without their clients reconnecting to this server.
   */
  public synchronized void stopListening() {
    if (serverChannel != null) {
      serverChannel.close().syncUninterruptibly();
      serverChannel = null;
    }
  }

  /**
   * First step of a graceful shutdown: stops accepting connections, and from now on answers new
   * requests on open connections with 503 and closes each connection once its current response is
   * out. {@link #finishDraining} waits for the requests in flight.
   */
  public void startDraining() {
    inFlight.startDraining();
    stopListening();
  }

  /**
   * Waits until no request is in flight or {@link System#nanoTime} reaches {@code deadlineNanos},
   * then cuts what is left (see {@link InFlightRequests#cutAll}); returns what was cut.
   */
  public List<InFlightRequests.Cut> finishDraining(long deadlineNanos) {
    try {
      if (inFlight.awaitIdle(deadlineNanos)) {
        return List.of();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return inFlight.cutAll();
  }

  /**
   * Stops accepting, then shuts the threads down, letting queued work finish briefly. The event
   * loops go first: the connections they close still need the file executors to take their
   * route handlers down.
   */
  @Override
  public synchronized void close() {
    stopListening();
    shutDown(bossGroup, workerGroup);
    shutDown(fileGroup);
  }

  private static void shutDown(EventExecutorGroup... groups) {
    List<Future<?>> terminations = new ArrayList<>();
    for (EventExecutorGroup group : groups) {
      if (group != null) {
        terminations.add(group.shutdownGracefully(100, 5_000, TimeUnit.MILLISECONDS));
      }
    }
    terminations.forEach(Future::awaitUninterruptibly);
  }

  private static EventLoopGroup eventLoops(boolean epoll, int threads, String name) {
    DefaultThreadFactory threadFactory = new DefaultThreadFactory(name);
    return epoll
        ? new EpollEventLoopGroup(threads, threadFactory)
        : new NioEventLoopGroup(threads, threadFactory);
  }

  /**
   * Counts each accepted connection in, or closes it beyond a limit, on the accepting loop: in
   * the order the connections arrived, before their own loops set them up.
   */
  @ChannelHandler.Sharable
  private final class AcceptLimiter extends ChannelInboundHandlerAdapter {
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      Channel child = (Channel) msg;
      InetAddress client = ((InetSocketAddress) child.remoteAddress()).getAddress();
      if (!stats.admit(client)) {
        LOG.debug("refusing {}: too many connections", child);
        child.unsafe().closeForcibly();
        return;
      }
      child.closeFuture().addListener(closed -> stats.closed(client));
      ctx.fireChannelRead(child);
    }
  }

  private final class Initializer extends ChannelInitializer<SocketChannel> {
    @Override
    protected void initChannel(SocketChannel ch) {
      ChannelPipeline pipeline = ch.pipeline();
      RequestGate gate = new RequestGate(config.connectionLimits(), stats, inFlight);
      if (!config.writeTimeout().isZero()) {
        pipeline.addLast(WRITE_TIMEOUT_HANDLER, new WriteStallTimeout(config.writeTimeout().toMillis(), stats));
      }
      pipeline.addLast(BYTES_HANDLER, gate.byteWatcher());
      // Large body parts: every part crosses to the route executor as a task of its own.
      pipeline.addLast(CODEC_HANDLER, new HttpServerCodec(4096, 16 * 1024, MAX_BODY_PART));
      pipeline.addLast(LINGERING_CLOSE_HANDLER, new LingeringCloser());
      pipeline.addLast(IDLE_HANDLER, gate);
      if (observer != null) {
        // After the gate, which lets one request at a time through; ahead of the body limit, whose
        // refusals are writes too, and of keep-alive, after which event streams are added.
        pipeline.addLast(OBSERVER_HANDLER, new ExchangeObserver(observer));
      }
      if (config.maxRequestBodyBytes() > 0) {
        pipeline.addLast(BODY_LIMIT_HANDLER, new RequestBodyLimit(config.maxRequestBodyBytes(), stats));
      }
      // Uploads from curl -T wait for "100 Continue" before sending the body.
      pipeline.addLast(EXPECT_CONTINUE_HANDLER, new HttpServerExpectContinueHandler());
      pipeline.addLast(KEEP_ALIVE_HANDLER, new HttpServerKeepAliveHandler());
      if (cachedObjects != null) {
        pipeline.addLast(CACHED_OBJECTS_HANDLER, cachedObjects.get());
      }
      for (Supplier<? extends RouteHandler> route : routes) {
        pipeline.addLast(fileGroup, null, route.get());
      }
      pipeline.addLast(fileGroup, "fallback", new FallbackHandler());
    }
  }

  /** Collects the routes; each is asked in the order added, before the fallback. */
  public static final class Builder {
    private final HttpServerConfig config;
    private final List<Supplier<? extends RouteHandler>> routes = new ArrayList<>();
    private Supplier<CachedObjectResponder> cachedObjects;
    private CompletedRequest.Listener observer;

    private Builder(HttpServerConfig config) {
      this.config = Objects.requireNonNull(config, "config");
    }

    /**
     * Adds the route serving the repositories' files, with the configured caching times, and the
     * object cache if one is configured.
     */
    public Builder repositories(ServedRepositories repositories) {
      Objects.requireNonNull(repositories, "repositories");
      ContentHeaders manifests = new ContentHeaders(config.manifestMaxAge());
      ContentHeaders objects = new ContentHeaders(config.objectMaxAge());
      ObjectCache cache = config.objectCacheBytes() > 0 ? new ObjectCache(config.objectCacheBytes()) : null;
      if (cache != null) {
        cachedObjects = () -> new CachedObjectResponder(cache, objects);
      }
      return route(() -> new RepositoryContentHandler(repositories, manifests, objects, cache));
    }

    /** Adds a route; {@code factory} makes one handler per connection. */
    public Builder route(Supplier<? extends RouteHandler> factory) {
      routes.add(Objects.requireNonNull(factory, "factory"));
      return this;
    }

    /** Tells {@code listener} of every request as it ends, answered or not (metrics, audit). */
    public Builder observer(CompletedRequest.Listener listener) {
      this.observer = Objects.requireNonNull(listener, "listener");
      return this;
    }

    public HttpServer build() {
      return new HttpServer(config, routes, cachedObjects, observer);
    }
  }
}
