package io.ephemeral.cvmfs.dataplane.testsupport;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * A bare HTTP/1.1 connection for tests that need to send exact bytes (paths no client library
 * would send unnormalised, several requests in one write) and read responses one by one.
 */
public final class RawHttpConnection implements AutoCloseable {

  public record Response(int status, Map<String, String> headers, byte[] body) {
    public String header(String name) {
      return headers.get(name.toLowerCase(Locale.ROOT));
    }
  }

  private final Socket socket;
  private final InputStream in;

  public RawHttpConnection(int port) throws IOException {
    this(port, 5_000);
  }

  /** {@code timeoutMillis} bounds each read. */
  public RawHttpConnection(int port, int timeoutMillis) throws IOException {
    socket = new Socket(InetAddress.getLoopbackAddress(), port);
    socket.setSoTimeout(timeoutMillis);
    in = new BufferedInputStream(socket.getInputStream());
  }

  public void send(String requests) throws IOException {
    socket.getOutputStream().write(requests.getBytes(StandardCharsets.ISO_8859_1));
    socket.getOutputStream().flush();
  }

  public void send(byte[] bytes) throws IOException {
    send(bytes, 0, bytes.length);
  }

  public void send(byte[] bytes, int offset, int length) throws IOException {
    socket.getOutputStream().write(bytes, offset, length);
    socket.getOutputStream().flush();
  }

  public Socket socket() {
    return socket;
  }

  /** A request for {@code target} with only the headers HTTP/1.1 requires. */
  public static String request(String method, String target) {
    return method + " " + target + " HTTP/1.1\r\nHost: localhost\r\n\r\n";
  }

  /** Reads one response; {@code head} says it answers a HEAD request, so has no body. */
  public Response read(boolean head) throws IOException {
    Response response = readHead();
    String length = response.header("content-length");
    if (head || length == null) {
      return response;
    }
    return new Response(response.status(), response.headers(), in.readNBytes(Integer.parseInt(length)));
  }

  /** Reads the status line and headers of a response, and nothing of its body. */
  public Response readHead() throws IOException {
    String statusLine = line();
    if (statusLine == null) {
      throw new IOException("connection closed before a response");
    }
    int status = Integer.parseInt(statusLine.split(" ")[1]);
    Map<String, String> headers = new TreeMap<>();
    for (String line = line(); line != null && !line.isEmpty(); line = line()) {
      int colon = line.indexOf(':');
      headers.merge(line.substring(0, colon).trim().toLowerCase(Locale.ROOT),
          line.substring(colon + 1).trim(), (a, b) -> a + ", " + b);
    }
    return new Response(status, headers, new byte[0]);
  }

  /** Reads until the server ends the connection, however it ends it. */
  public void skipToEnd() throws IOException {
    try {
      in.transferTo(OutputStream.nullOutputStream());
    } catch (java.net.SocketException reset) {
      // ended abruptly
    }
  }

  public Response read() throws IOException {
    return read(false);
  }

  /** True when the server has closed the connection and sent nothing more. */
  public boolean closedByServer() throws IOException {
    try {
      return in.read() == -1;
    } catch (java.net.SocketException e) {
      return true;
    }
  }

  private String line() throws IOException {
    ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    int c;
    while ((c = in.read()) != -1) {
      if (c == '\n') {
        byte[] bytes = buffer.toByteArray();
        int length = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
        return new String(bytes, 0, length, StandardCharsets.ISO_8859_1);
      }
      buffer.write(c);
    }
    return buffer.size() == 0 ? null : buffer.toString(StandardCharsets.ISO_8859_1);
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
