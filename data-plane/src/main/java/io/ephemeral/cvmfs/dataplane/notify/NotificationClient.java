package io.ephemeral.cvmfs.dataplane.notify;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A subscriber that stays subscribed: after a failed attempt or the end of its stream it
 * subscribes again after an exponential backoff with jitter. The stock client instead retries at
 * once and stops for good after 11 quick failures (format.md 10.7, cvmfs/cvmfs#3678), so a server
 * restart loses it.
 *
 * <p>The subscription is the stock client's (format.md 10.4, a {@code GET} with a body); the stream is
 * read as server-sent events, so it also works where the events are split across reads.
 *
 * <p>A server sends nothing on a quiet stream, so a connection whose peer vanished without
 * closing it (a lost node) would look quiet forever. With an idle limit the client subscribes
 * afresh after that long without a byte; the server then sends its current revision again.
 *
 * <p>A server that is away does not always refuse connections: its address may answer nothing at
 * all, and the kernel resends an unanswered SYN only seconds later, on the same path. The connect
 * timeout ends such an attempt, so that the next one, after the backoff, sends a fresh SYN (which
 * a Kubernetes Service maps afresh to the pods behind it).
 */
public final class NotificationClient {

  /** Receives each message of the stream. */
  @FunctionalInterface
  public interface Handler {
    /** Returns false to end the subscription. */
    boolean onMessage(ActivityMessage message);
  }

  // Where nothing else is asked for: room for a slow path, a lost SYN resent once or twice.
  private static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);

  private final URI subscribeUri;
  private final String repository;
  private final Duration initialBackoff;
  private final Duration maxBackoff;
  private final Consumer<String> log;
  private final Duration idleLimit;
  private final HttpClient client;
  private volatile boolean subscribed;
  private volatile boolean closed;

  /**
   * @param base the notification base URL, e.g. {@code http://host:4929/api/v1}
   * @param log receives a line for each connection made and lost
   */
  public NotificationClient(URI base, String repository, Duration initialBackoff, Duration maxBackoff,
      Consumer<String> log) {
    this(base, repository, initialBackoff, maxBackoff, null, DEFAULT_CONNECT_TIMEOUT, log);
  }

  /**
   * @param idleLimit subscribe afresh after this long without receiving anything; null to wait forever
   * @param connectTimeout give up a connection attempt after this long, and try again after the backoff
   */
  public NotificationClient(URI base, String repository, Duration initialBackoff, Duration maxBackoff,
      Duration idleLimit, Duration connectTimeout, Consumer<String> log) {
    this.idleLimit = idleLimit;
    String text = base.toString();
    this.subscribeUri = URI.create((text.endsWith("/") ? text.substring(0, text.length() - 1) : text)
        + "/notifications/subscribe");
    this.repository = repository;
    this.initialBackoff = initialBackoff;
    this.maxBackoff = maxBackoff;
    this.log = log;
    this.client = HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(connectTimeout)
        .build();
  }

  /**
   * Subscribes, and subscribes again whenever the stream is lost, until the handler returns false
   * or {@link #close} is called.
   */
  public void run(Handler handler) throws InterruptedException {
    int failures = 0;
    while (!closed) {
      boolean[] received = {false};
      String lost;
      try {
        if (!subscribeOnce(message -> {
          received[0] = true;
          return handler.onMessage(message);
        })) {
          return;
        }
        lost = "the server ended the stream";
      } catch (IOException e) {
        lost = e.getMessage() == null ? e.toString() : e.getMessage();
      } finally {
        subscribed = false;
      }
      if (closed) {
        return;
      }
      // A stream that delivered something was healthy: start the backoff afresh.
      failures = received[0] ? 0 : failures + 1;
      Duration delay = backoff(failures);
      log.accept("subscription to " + repository + " lost (" + lost + "); subscribing again in "
          + delay.toMillis() + " ms");
      Thread.sleep(delay.toMillis());
    }
  }

  /**
   * Makes {@link #run} return instead of subscribing again. A stream being read ends only when
   * the thread running it is interrupted as well.
   */
  public void close() {
    closed = true;
  }

  /** Whether a subscription is open now: answered 200 and not yet ended. */
  public boolean subscribed() {
    return subscribed;
  }

  /**
   * The wait before the next attempt: a random time between half and all of initial x 2^failures,
   * capped at the maximum, so that clients dropped together do not come back together.
   */
  Duration backoff(int failures) {
    long ceiling = Math.min(maxBackoff.toMillis(), initialBackoff.toMillis() << Math.min(failures, 20));
    return Duration.ofMillis(ceiling / 2 + ThreadLocalRandom.current().nextLong(ceiling / 2 + 1));
  }

  /** One attempt; returns false when the handler ended the subscription, true when the stream ended. */
  private boolean subscribeOnce(Handler handler) throws IOException, InterruptedException {
    HttpRequest request = HttpRequest.newBuilder(subscribeUri)
        .method("GET", HttpRequest.BodyPublishers.ofString(SubscribeRequest.of(repository).toJson()))
        .header("Content-Type", "application/json")
        .header("Accept", "text/event-stream")
        .build();
    Lines lines = new Lines();
    CompletableFuture<HttpResponse<Void>> exchange = client.sendAsync(request, head -> {
      lines.items.add(head.statusCode());
      return HttpResponse.BodySubscribers.fromLineSubscriber(lines);
    });
    exchange.whenComplete((response, failure) -> {
      if (failure != null) {
        lines.items.add(failure);
      }
    });
    try {
      int status = (Integer) lines.next(idleLimit);
      if (status != 200) {
        throw new IOException("HTTP " + status + ": " + lines.next(idleLimit));
      }
      subscribed = true;
      log.accept("subscribed to " + repository + " at " + subscribeUri);
      StringBuilder data = new StringBuilder();
      for (Object next; (next = lines.next(idleLimit)) != null; ) {
        String line = (String) next;
        if (line.startsWith("data:")) {
          data.append(data.length() > 0 ? "\n" : "").append(line, line.startsWith("data: ") ? 6 : 5, line.length());
        } else if (line.isEmpty() && data.length() > 0) {
          String message = data.toString();
          data.setLength(0);
          if (!dispatch(message, handler)) {
            return false;
          }
        }
      }
      return true;
    } finally {
      lines.cancel(); // closes the connection unless the stream has ended
    }
  }

  private boolean dispatch(String message, Handler handler) {
    try {
      return handler.onMessage(ActivityMessage.parse(message.getBytes(StandardCharsets.UTF_8)));
    } catch (NotificationException e) {
      log.accept("ignoring a malformed message: " + e.getMessage());
      return true;
    }
  }

  /**
   * The response as it arrives, for one reader: its status, then its lines, then its end or its
   * failure. The connection is read as fast as it delivers; a stream carries little.
   */
  private static final class Lines implements Flow.Subscriber<String> {
    private static final Object END = new Object();

    final BlockingQueue<Object> items = new LinkedBlockingQueue<>();
    private Flow.Subscription subscription;
    private boolean cancelled;

    @Override
    public synchronized void onSubscribe(Flow.Subscription s) {
      subscription = s;
      if (cancelled) {
        s.cancel();
      } else {
        s.request(Long.MAX_VALUE);
      }
    }

    @Override
    public void onNext(String line) {
      items.add(line);
    }

    @Override
    public void onError(Throwable failure) {
      items.add(failure);
    }

    @Override
    public void onComplete() {
      items.add(END);
    }

    synchronized void cancel() {
      cancelled = true;
      if (subscription != null) {
        subscription.cancel();
      }
    }

    /** The status (an Integer), a line, or null once the response has ended. */
    Object next(Duration idleLimit) throws IOException, InterruptedException {
      Object item = idleLimit == null ? items.take() : items.poll(idleLimit.toNanos(), TimeUnit.NANOSECONDS);
      if (item == null) {
        throw new IOException("nothing received for " + idleLimit.toMillis() + " ms");
      }
      if (item instanceof Throwable failure) {
        while ((failure instanceof CompletionException || failure instanceof ExecutionException)
            && failure.getCause() != null) {
          failure = failure.getCause();
        }
        throw failure instanceof IOException io ? io
            : new IOException(failure.getMessage() == null ? failure.toString() : failure.getMessage(), failure);
      }
      return item == END ? null : item;
    }
  }
}
