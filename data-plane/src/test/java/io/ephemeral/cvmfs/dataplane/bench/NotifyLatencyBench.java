package io.ephemeral.cvmfs.dataplane.bench;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Notification benchmark: how long after the manifest swap every subscriber has the new
 * revision, and how much server heap a subscription costs.
 *
 * <p>For each subscriber count it starts {@link NotifyBenchServer} in a child JVM (heap
 * {@code -Dbench.serverHeap}, default 512m), opens that many subscriptions over loopback exactly
 * as the stock client does, then commits revisions one at a time. Delivery latency is the wall
 * clock when a subscriber's read returned the event minus the wall clock when the server's
 * committer had swapped the manifest in; every subscriber of every measured revision counts.
 * Heap per subscriber is the growth of the server's heap after a full collection, from before
 * the subscriptions to after the last revision, divided by their number.
 *
 * <p>Usage: {@code NotifyLatencyBench [COUNT,COUNT...]} (default 1000,10000); {@code
 * -Dbench.revisions} measured revisions per count (default 20), after 3 unmeasured ones.
 */
public final class NotifyLatencyBench {

  private static final String FQRN = "bench.example.org";
  private static final int WARM_UP = 3;
  private static final int CONNECT_BATCH = 500;
  private static final double GOAL_MILLIS = 50;

  private NotifyLatencyBench() {}

  public static void main(String[] args) throws Exception {
    int[] counts = Arrays.stream((args.length > 0 ? args[0] : "1000,10000").split(","))
        .mapToInt(Integer::parseInt).toArray();
    int revisions = Integer.getInteger("bench.revisions", 20);
    String serverHeap = System.getProperty("bench.serverHeap", "512m");
    List<String> rows = new ArrayList<>();
    for (int count : counts) {
      rows.add(run(count, revisions, serverHeap));
    }
    System.out.println("subscribers  revisions  p50 ms  p99 ms  max ms  server heap/subscriber  p99 vs 50 ms goal");
    rows.forEach(System.out::println);
  }

  static long epochMicros(Instant instant) {
    return instant.getEpochSecond() * 1_000_000 + instant.getNano() / 1_000;
  }

  private static String run(int count, int revisions, String serverHeap) throws Exception {
    Path data = Files.createTempDirectory("notify-bench-");
    Process server = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx" + serverHeap, "-cp", System.getProperty("java.class.path"), NotifyBenchServer.class.getName(),
        data.toString(), FQRN)
        .redirectError(ProcessBuilder.Redirect.INHERIT)
        .start();
    EventLoopGroup loops = Epoll.isAvailable() ? new EpollEventLoopGroup() : new NioEventLoopGroup();
    try {
      Control control = new Control(server);
      int port = Integer.parseInt(control.expect("port"));
      for (int i = 0; i < WARM_UP; i++) {
        control.ask("commit");
      }
      long heapBefore = Long.parseLong(control.ask("heap"));

      Rounds rounds = new Rounds(count, WARM_UP + revisions);
      List<Channel> channels = connect(loops, port, count, rounds);
      if (!rounds.initial.await(2, TimeUnit.MINUTES)) {
        throw new IOException("only " + (count - rounds.initial.getCount()) + " of " + count + " subscriptions started");
      }
      log(count + " subscribed (" + control.ask("subscribers") + " on the server)");

      long[] latencies = new long[revisions * count];
      for (int round = 0; round < WARM_UP + revisions; round++) {
        String[] committed = control.ask("commit").split(" ");
        long swappedAt = Long.parseLong(committed[1]);
        if (!rounds.delivered[round].await(1, TimeUnit.MINUTES)) {
          throw new IOException("revision " + committed[0] + " reached only "
              + (count - rounds.delivered[round].getCount()) + " of " + count + " subscribers");
        }
        if (round >= WARM_UP) {
          for (int i = 0; i < count; i++) {
            latencies[(round - WARM_UP) * count + i] = rounds.receivedAt[round][i] - swappedAt;
          }
        }
        Thread.sleep(100); // commits some way apart, as publications are
      }
      long heapAfter = Long.parseLong(control.ask("heap"));
      channels.forEach(Channel::close);
      control.ask("quit");

      Arrays.sort(latencies);
      double p50 = percentile(latencies, 50);
      double p99 = percentile(latencies, 99);
      double max = latencies[latencies.length - 1] / 1000.0;
      long perSubscriber = (heapAfter - heapBefore) / count;
      return String.format(Locale.ROOT, "%11d  %9d  %6.1f  %6.1f  %6.1f  %16.1f KiB  %.2f (%s)", count, revisions, p50,
          p99, max, perSubscriber / 1024.0, p99 / GOAL_MILLIS, p99 < GOAL_MILLIS ? "ok" : "ABOVE");
    } finally {
      loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
      server.destroy();
      server.waitFor(10, TimeUnit.SECONDS);
      try (Stream<Path> paths = Files.walk(data)) {
        paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
      }
    }
  }

  private static List<Channel> connect(EventLoopGroup loops, int port, int count, Rounds rounds)
      throws InterruptedException, IOException {
    byte[] body = ("{\"version\":1,\"repository\":\"" + FQRN + "\"}").getBytes(StandardCharsets.US_ASCII);
    byte[] request = ("GET /api/v1/notifications/subscribe HTTP/1.1\r\nHost: 127.0.0.1:" + port
        + "\r\nUser-Agent: cvmfs/2.11.5\r\nAccept: */*\r\nContent-Length: " + body.length
        + "\r\nContent-Type: application/x-www-form-urlencoded\r\n\r\n" + new String(body, StandardCharsets.US_ASCII))
        .getBytes(StandardCharsets.US_ASCII);
    Bootstrap bootstrap = new Bootstrap()
        .group(loops)
        .channel(Epoll.isAvailable() ? EpollSocketChannel.class : NioSocketChannel.class)
        .option(ChannelOption.TCP_NODELAY, true);
    List<Channel> channels = new ArrayList<>(count);
    for (int first = 0; first < count; first += CONNECT_BATCH) {
      List<ChannelFuture> batch = new ArrayList<>();
      for (int id = first; id < Math.min(count, first + CONNECT_BATCH); id++) {
        batch.add(bootstrap.clone().handler(new Subscription(id, request, rounds)).connect("127.0.0.1", port));
      }
      for (ChannelFuture connected : batch) {
        if (!connected.await(30, TimeUnit.SECONDS) || !connected.isSuccess()) {
          throw new IOException("cannot connect subscriber " + channels.size(), connected.cause());
        }
        channels.add(connected.channel());
      }
    }
    return channels;
  }

  private static double percentile(long[] sortedMicros, double percent) {
    int index = (int) Math.ceil(percent / 100 * sortedMicros.length) - 1;
    return sortedMicros[Math.max(0, index)] / 1000.0;
  }

  private static void log(String line) {
    System.err.println("notify-bench: " + line);
  }

  /** When each subscriber received each revision; the event of the first round comes with the subscription. */
  private static final class Rounds {
    final CountDownLatch initial;
    final CountDownLatch[] delivered;
    final long[][] receivedAt;

    Rounds(int subscribers, int rounds) {
      initial = new CountDownLatch(subscribers);
      delivered = new CountDownLatch[rounds];
      receivedAt = new long[rounds][subscribers];
      for (int i = 0; i < rounds; i++) {
        delivered[i] = new CountDownLatch(subscribers);
      }
    }

    /** The {@code event}-th event (from 1) of subscriber {@code id} arrived at {@code micros}. */
    void received(int id, int event, long micros) {
      if (event == 1) {
        initial.countDown();
      } else if (event - 2 < receivedAt.length) {
        receivedAt[event - 2][id] = micros;
        delivered[event - 2].countDown();
      }
    }
  }

  /**
   * One subscription; it only notes when each event ends (its LF LF, which the chunk framing
   * never contains), so that timing one subscriber does not hold up the others on its thread.
   */
  private static final class Subscription extends ChannelInboundHandlerAdapter {
    private final int id;
    private final byte[] request;
    private final Rounds rounds;
    private boolean afterLineFeed;
    private int events;

    Subscription(int id, byte[] request, Rounds rounds) {
      this.id = id;
      this.request = request;
      this.rounds = rounds;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
      ctx.writeAndFlush(Unpooled.wrappedBuffer(request));
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      long now = epochMicros(Instant.now());
      ByteBuf bytes = (ByteBuf) msg;
      try {
        for (int i = bytes.readerIndex(); i < bytes.writerIndex(); i++) {
          boolean lineFeed = bytes.getByte(i) == '\n';
          if (lineFeed && afterLineFeed) {
            rounds.received(id, ++events, now);
          }
          afterLineFeed = lineFeed;
        }
      } finally {
        bytes.release();
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      log("subscriber " + id + ": " + cause);
      ctx.close();
    }
  }

  /** The line protocol with {@link NotifyBenchServer}. */
  private static final class Control {
    private final BufferedReader in;
    private final PrintWriter out;

    Control(Process server) {
      in = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
      out = new PrintWriter(server.getOutputStream(), true, StandardCharsets.UTF_8);
    }

    String ask(String command) throws IOException {
      out.println(command);
      return command.equals("quit") ? "" : expect(command.equals("commit") ? "committed" : command);
    }

    /** The rest of the next line, which must start with {@code word}. */
    String expect(String word) throws IOException {
      String line = in.readLine();
      if (line == null || !line.startsWith(word + " ")) {
        throw new IOException("server said '" + line + "', expected '" + word + " ...'");
      }
      return line.substring(word.length() + 1);
    }
  }
}
