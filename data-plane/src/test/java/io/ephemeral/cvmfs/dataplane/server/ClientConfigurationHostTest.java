package io.ephemeral.cvmfs.dataplane.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ephemeral.cvmfs.dataplane.http.RequestHost;
import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Without --public-url, the served client configuration names the server as the request reached it. */
class ClientConfigurationHostTest {

  private static final String REPO = "hosts.example.org";

  @TempDir static Path data;
  private static DataPlane dataPlane;

  @BeforeAll
  static void start() throws IOException {
    dataPlane = DataPlane.start(DataPlaneConfig.local(data, List.of(REPO)));
  }

  @AfterAll
  static void stop() {
    if (dataPlane != null) {
      dataPlane.close();
    }
  }

  /** The configuration as served for a request with this Host header line ({@code null}: none). */
  private static String conf(String hostLine) throws IOException {
    try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), dataPlane.port())) {
      socket.setSoTimeout(10_000);
      String head = "GET /cvmfs-meta/" + REPO + ".conf HTTP/1.1\r\n" + (hostLine == null ? "" : hostLine + "\r\n")
          + "Connection: close\r\n\r\n";
      socket.getOutputStream().write(head.getBytes(StandardCharsets.ISO_8859_1));
      String response = new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
      assertTrue(response.startsWith("HTTP/1.1 200 "), response);
      return response.substring(response.indexOf("\r\n\r\n") + 4);
    }
  }

  private static String serverUrl(String conf) {
    return conf.lines().filter(l -> l.startsWith("CVMFS_SERVER_URL=")).findFirst().orElseThrow();
  }

  @Test
  void namesTheHostTheRequestCameTo() throws IOException {
    String conf = conf("Host: mirror.example.org:8080");
    assertEquals("CVMFS_SERVER_URL=\"http://mirror.example.org:8080/cvmfs/@fqrn@\"", serverUrl(conf));
    assertTrue(conf.contains("CVMFS_NOTIFICATION_SERVER=http://mirror.example.org:8080/api/v1\n"), conf);
    assertEquals("CVMFS_SERVER_URL=\"http://[::1]:8080/cvmfs/@fqrn@\"", serverUrl(conf("Host: [::1]:8080")));
    assertEquals("CVMFS_SERVER_URL=\"http://mirror/cvmfs/@fqrn@\"", serverUrl(conf("Host: MIRROR")));
  }

  @ParameterizedTest
  @ValueSource(strings = {"Host: evil.example/x", "Host: a b", "Host: user@evil.example", "Host: evil\"x",
      "Host: $(reboot)", "Host: evil.example:99999", "Host: evil.example:80x", "Host: ..", "Host: [::1]x",
      "Host: [zz::1]", "Host: a;b", "Host: a\\b", "Host:", ""})
  void fallsBackToTheConnectionsAddressForAnythingElse(String hostLine) throws IOException {
    String conf = conf(hostLine.isEmpty() ? null : hostLine);
    assertEquals("CVMFS_SERVER_URL=\"http://127.0.0.1:" + dataPlane.port() + "/cvmfs/@fqrn@\"", serverUrl(conf));
    // Nothing of the header got in: the configuration has its four lines and nothing else.
    assertEquals(4, conf.lines().count(), conf);
  }

  @Test
  void acceptsOnlyPlainHostAndPort() {
    assertEquals(Optional.of("a-b_c.example.org:1"), RequestHost.authority("a-b_c.Example.org:1"));
    assertEquals(Optional.of("10.0.0.1:65535"), RequestHost.authority("10.0.0.1:65535"));
    for (String bad : List.of("", ":80", "a:", "a:0", "a..b", ".a", "a.", "x".repeat(64), "[::1", "[]", "a:b:c",
        "a\r\nX: y", "a\u00e9", "a\tb")) {
      assertEquals(Optional.empty(), RequestHost.authority(bad), bad);
    }
  }
}
