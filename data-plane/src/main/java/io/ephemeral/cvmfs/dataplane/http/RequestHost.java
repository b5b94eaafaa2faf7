package io.ephemeral.cvmfs.dataplane.http;

import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.Locale;
import java.util.Optional;

/**
 * Where a request reached this server, as a base URL for documents that point back to it: the
 * {@code Host} header when it is a plain {@code host[:port]} (a name, an IPv4 address or a
 * bracketed IPv6 literal), else the local address of the connection. Anything else in the header
 * (a path, user info, spaces, quotes, control characters) is ignored, so that what a client sends
 * cannot end up as anything but a host name in a generated file.
 */
public final class RequestHost {

  private static final int MAX_NAME = 253;

  private RequestHost() {}

  /** {@code http://host[:port]} for {@code request} on {@code channel}; empty if neither gives one. */
  public static Optional<String> baseUrl(HttpRequest request, Channel channel) {
    Optional<String> host = authority(request.headers().get(HttpHeaderNames.HOST));
    if (host.isPresent()) {
      return host.map(h -> "http://" + h);
    }
    return local(channel.localAddress()).map(h -> "http://" + h);
  }

  /** The {@code Host} header value, lower-cased, when it is a valid {@code host[:port]}; empty otherwise. */
  public static Optional<String> authority(String value) {
    if (value == null || value.isEmpty() || value.length() > MAX_NAME + 8) {
      return Optional.empty();
    }
    String host;
    String port = null;
    if (value.charAt(0) == '[') {
      int close = value.indexOf(']');
      if (close < 0) {
        return Optional.empty();
      }
      host = value.substring(0, close + 1);
      if (close + 1 < value.length()) {
        if (value.charAt(close + 1) != ':') {
          return Optional.empty();
        }
        port = value.substring(close + 2);
      }
      if (!ipv6Literal(host.substring(1, host.length() - 1))) {
        return Optional.empty();
      }
    } else {
      int colon = value.indexOf(':');
      host = colon < 0 ? value : value.substring(0, colon);
      port = colon < 0 ? null : value.substring(colon + 1);
      if (!hostName(host)) {
        return Optional.empty();
      }
    }
    if (port != null && !port(port)) {
      return Optional.empty();
    }
    String authority = port == null ? host : host + ":" + port;
    return Optional.of(authority.toLowerCase(Locale.ROOT));
  }

  /** Dot-separated labels of letters, digits, '-' and '_' (found in internal names); IPv4 addresses are such. */
  private static boolean hostName(String host) {
    if (host.isEmpty() || host.length() > MAX_NAME) {
      return false;
    }
    int label = 0;
    for (int i = 0; i < host.length(); i++) {
      char c = host.charAt(i);
      if (c == '.') {
        if (label == 0) {
          return false;
        }
        label = 0;
      } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_') {
        if (++label > 63) {
          return false;
        }
      } else {
        return false;
      }
    }
    return label > 0;
  }

  private static boolean ipv6Literal(String address) {
    if (address.length() < 2 || address.length() > 45 || address.indexOf(':') < 0) {
      return false;
    }
    for (int i = 0; i < address.length(); i++) {
      char c = address.charAt(i);
      boolean ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':' || c == '.';
      if (!ok) {
        return false;
      }
    }
    return true;
  }

  private static boolean port(String port) {
    if (port.isEmpty() || port.length() > 5) {
      return false;
    }
    for (int i = 0; i < port.length(); i++) {
      if (port.charAt(i) < '0' || port.charAt(i) > '9') {
        return false;
      }
    }
    int value = Integer.parseInt(port);
    return value > 0 && value <= 65535;
  }

  private static Optional<String> local(SocketAddress address) {
    if (!(address instanceof InetSocketAddress inet) || inet.getAddress() == null) {
      return Optional.empty();
    }
    String ip = inet.getAddress().getHostAddress();
    if (inet.getAddress() instanceof Inet6Address) {
      int scope = ip.indexOf('%');
      ip = "[" + (scope < 0 ? ip : ip.substring(0, scope)) + "]";
    }
    return Optional.of(ip + ":" + inet.getPort());
  }
}
