package io.ephemeral.cvmfs.dataplane.http;

import java.net.InetAddress;
import java.util.HashMap;
import java.util.Map;

/** The connections of one {@link HttpServer}: open ones per client address, refusals and timeouts. */
public final class ConnectionStats {

  private final int max;
  private final int maxPerClient;
  private final Map<InetAddress, Integer> perClient = new HashMap<>();
  private int open;
  private long refused;
  private long timedOut;
  private long writeStalled;
  private long bodiesTooLarge;

  ConnectionStats(int max, int maxPerClient) {
    this.max = max;
    this.maxPerClient = maxPerClient;
  }

  /** Counts a new connection from {@code client} in, or returns false (and counts a refusal) beyond a limit. */
  synchronized boolean admit(InetAddress client) {
    int fromClient = perClient.getOrDefault(client, 0);
    if ((max > 0 && open >= max) || (maxPerClient > 0 && fromClient >= maxPerClient)) {
      refused++;
      return false;
    }
    open++;
    perClient.put(client, fromClient + 1);
    return true;
  }

  synchronized void closed(InetAddress client) {
    open--;
    perClient.computeIfPresent(client, (address, count) -> count > 1 ? count - 1 : null);
  }

  synchronized void countTimeout() {
    timedOut++;
  }

  synchronized void countWriteStall() {
    writeStalled++;
  }

  synchronized void countBodyTooLarge() {
    bodiesTooLarge++;
  }

  public synchronized int open() {
    return open;
  }

  /** Connections closed at accept because a limit was reached. */
  public synchronized long refused() {
    return refused;
  }

  /** Connections closed by the header or idle timeout. */
  public synchronized long timedOut() {
    return timedOut;
  }

  /** Connections closed by the write timeout: their client stopped reading a response. */
  public synchronized long writeStalled() {
    return writeStalled;
  }

  /** Requests refused or cut because their body was larger than the server's request body limit. */
  public synchronized long bodiesTooLarge() {
    return bodiesTooLarge;
  }
}
