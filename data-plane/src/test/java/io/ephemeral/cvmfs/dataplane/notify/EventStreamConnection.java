package io.ephemeral.cvmfs.dataplane.notify;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * A raw connection that subscribes exactly as the stock client does (format.md 10.4) and reads the
 * response chunk by chunk, so that tests see the bytes on the wire and the chunk boundaries.
 */
final class EventStreamConnection implements AutoCloseable {

  record Head(int status, Map<String, String> headers) {
    String header(String name) {
      return headers.get(name.toLowerCase(Locale.ROOT));
    }
  }

  private final Socket socket;
  private final InputStream in;

  private EventStreamConnection(Socket socket) throws IOException {
    this.socket = socket;
    socket.setSoTimeout(5_000);
    this.in = new BufferedInputStream(socket.getInputStream());
  }

  static EventStreamConnection connect(int port) throws IOException {
    return new EventStreamConnection(new Socket(InetAddress.getLoopbackAddress(), port));
  }

  /** A connection whose receive buffer is as small as the kernel allows, for a subscriber that never reads. */
  static EventStreamConnection connectWithTinyBuffer(int port) throws IOException {
    Socket socket = new Socket();
    socket.setReceiveBufferSize(1024);
    socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
    return new EventStreamConnection(socket);
  }

  /** Connects and sends the stock client's subscription for {@code fqrn}. */
  static EventStreamConnection subscribe(int port, String fqrn) throws IOException {
    EventStreamConnection connection = connect(port);
    connection.send(subscription(port, "{\"version\":1,\"repository\":\"" + fqrn + "\"}"));
    return connection;
  }

  /** The request of format.md 10.4, byte for byte, with {@code body}. */
  static String subscription(int port, String body) {
    return "GET /api/v1/notifications/subscribe HTTP/1.1\r\n"
        + "Host: 127.0.0.1:" + port + "\r\n"
        + "User-Agent: cvmfs/2.11.5\r\n"
        + "Accept: */*\r\n"
        + "Content-Length: " + body.getBytes(StandardCharsets.UTF_8).length + "\r\n"
        + "Content-Type: application/x-www-form-urlencoded\r\n"
        + "\r\n"
        + body;
  }

  void send(String request) throws IOException {
    socket.getOutputStream().write(request.getBytes(StandardCharsets.UTF_8));
    socket.getOutputStream().flush();
  }

  void setTimeout(int millis) throws IOException {
    socket.setSoTimeout(millis);
  }

  Head readHead() throws IOException {
    String status = line();
    Map<String, String> headers = new TreeMap<>();
    for (String line = line(); !line.isEmpty(); line = line()) {
      int colon = line.indexOf(':');
      headers.put(line.substring(0, colon).trim().toLowerCase(Locale.ROOT), line.substring(colon + 1).trim());
    }
    return new Head(Integer.parseInt(status.split(" ")[1]), headers);
  }

  /** The body of a response with a {@code Content-Length}. */
  String readBody(Head head) throws IOException {
    return new String(in.readNBytes(Integer.parseInt(head.header("content-length"))), StandardCharsets.UTF_8);
  }

  /** The data of the next chunk; empty for the terminating chunk; EOFException if the stream ends first. */
  String readChunk() throws IOException {
    int size = Integer.parseInt(line(), 16);
    byte[] data = in.readNBytes(size);
    if (data.length < size || !line().isEmpty()) {
      throw new IOException("malformed chunk");
    }
    return new String(data, StandardCharsets.UTF_8);
  }

  /** Whether the server closed the connection with no further bytes (so no terminating chunk). */
  boolean closedWithoutMoreData() throws IOException {
    try {
      return in.read() == -1;
    } catch (java.net.SocketException e) {
      return true;
    }
  }

  private String line() throws IOException {
    ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    for (int c; (c = in.read()) != '\n'; ) {
      if (c == -1) {
        throw new EOFException("connection closed");
      }
      buffer.write(c);
    }
    String line = buffer.toString(StandardCharsets.ISO_8859_1);
    return line.endsWith("\r") ? line.substring(0, line.length() - 1) : line;
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
