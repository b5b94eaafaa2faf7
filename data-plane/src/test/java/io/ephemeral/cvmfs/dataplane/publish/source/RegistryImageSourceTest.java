package io.ephemeral.cvmfs.dataplane.publish.source;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.ephemeral.cvmfs.common.publish.ImageReference;
import io.ephemeral.cvmfs.dataplane.publish.source.ArchiveSource.Limits;
import io.ephemeral.cvmfs.dataplane.testsupport.LocalRegistry;
import io.ephemeral.cvmfs.dataplane.testsupport.Tars;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The registry protocol against a scripted registry: a bearer token fetched from the realm with
 * basic credentials, transient failures retried, blobs redirected to storage elsewhere (without
 * the registry's authorization), and the limits on what is downloaded.
 */
class RegistryImageSourceTest {

  private static final String USER = "ci";
  private static final String PASSWORD = "pw";
  private static final String TOKEN = "token-123";

  @TempDir
  Path scratch;

  private HttpServer server;
  private HttpServer storage;
  private final Map<String, byte[]> blobs = new ConcurrentHashMap<>();
  private final Map<String, String> manifests = new ConcurrentHashMap<>();
  private final AtomicInteger failuresLeft = new AtomicInteger();
  private final List<String> tokenQueries = new CopyOnWriteArrayList<>();
  private final List<String> storageAuthorizations = new CopyOnWriteArrayList<>();
  private String layerDigest;
  private byte[] layer;

  @BeforeEach
  void start() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/token", this::token);
    server.createContext("/v2/", this::registry);
    server.start();
    storage = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    storage.createContext("/storage/", exchange -> {
      storageAuthorizations.add(String.valueOf(exchange.getRequestHeaders().getFirst("Authorization")));
      send(exchange, 200, "application/octet-stream", blobs.get(exchange.getRequestURI().getPath().substring(9)));
    });
    storage.start();
    layer = Tars.gzip(Tars.tar().dir("opt").file("opt/hello", "hello").bytes());
    layerDigest = "sha256:" + LocalRegistry.sha256(layer);
    blobs.put(layerDigest, layer);
    LocalRegistry.Blob config = new LocalRegistry.Blob("application/vnd.oci.image.config.v1+json", "sha256:"
        + LocalRegistry.sha256(new byte[0]), 0);
    manifests.put("1.0", LocalRegistry.manifest(config, List.of(new LocalRegistry.Blob(LocalRegistry.OCI_LAYER_GZIP,
        layerDigest, layer.length).descriptor())));
  }

  @AfterEach
  void stop() {
    server.stop(0);
    storage.stop(0);
  }

  private void token(HttpExchange exchange) throws IOException {
    tokenQueries.add(exchange.getRequestURI().getRawQuery());
    if (!LocalRegistry.basic(USER, PASSWORD).equals(exchange.getRequestHeaders().getFirst("Authorization"))) {
      send(exchange, 401, "application/json", "{}".getBytes(StandardCharsets.UTF_8));
      return;
    }
    send(exchange, 200, "application/json", ("{\"access_token\":\"" + TOKEN + "\"}").getBytes(StandardCharsets.UTF_8));
  }

  private void registry(HttpExchange exchange) throws IOException {
    if (failuresLeft.getAndDecrement() > 0) {
      send(exchange, 503, "text/plain", "busy".getBytes(StandardCharsets.UTF_8));
      return;
    }
    if (!("Bearer " + TOKEN).equals(exchange.getRequestHeaders().getFirst("Authorization"))) {
      exchange.getResponseHeaders().add("WWW-Authenticate", "Bearer realm=\"http://" + host()
          + "/token\",service=\"scripted\",scope=\"repository:team/app:pull\"");
      send(exchange, 401, "application/json", "{}".getBytes(StandardCharsets.UTF_8));
      return;
    }
    String path = exchange.getRequestURI().getPath();
    if (path.startsWith("/v2/team/app/manifests/") && manifests.containsKey(path.substring(23))) {
      send(exchange, 200, LocalRegistry.OCI_MANIFEST, manifests.get(path.substring(23)).getBytes(StandardCharsets.UTF_8));
    } else if (path.startsWith("/v2/team/app/blobs/") && blobs.containsKey(path.substring(19))) {
      exchange.getResponseHeaders().add("Location", "http://127.0.0.1:" + storage.getAddress().getPort() + "/storage/"
          + path.substring(19));
      send(exchange, 307, "text/plain", new byte[0]);
    } else {
      send(exchange, 404, "application/json", "{\"errors\":[{\"code\":\"MANIFEST_UNKNOWN\"}]}".getBytes(StandardCharsets.UTF_8));
    }
  }

  private static void send(HttpExchange exchange, int status, String type, byte[] body) throws IOException {
    exchange.getResponseHeaders().add("Content-Type", type);
    exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
    if (body.length > 0) {
      exchange.getResponseBody().write(body);
    }
    exchange.close();
  }

  private String host() {
    return "127.0.0.1:" + server.getAddress().getPort();
  }

  private RegistryImageSource source(String reference, String password, long maxBlobBytes) {
    return new RegistryImageSource(ImageReference.parse(host() + "/team/app" + reference), null, USER, password,
        scratch, Limits.DEFAULT, maxBlobBytes).withBackoff(Duration.ofMillis(5));
  }

  @Test
  void fetchesABearerTokenAndRetriesTransientFailures() throws Exception {
    failuresLeft.set(2);
    RegistryImageSource source = source(":1.0", PASSWORD, Long.MAX_VALUE);
    List<Tars.Seen> seen = Tars.walk(source);
    assertEquals(List.of("opt", "opt/hello"), seen.stream().map(s -> s.entry().path()).sorted().toList());
    assertEquals("hello", seen.stream().filter(s -> s.entry().path().equals("opt/hello")).findFirst().orElseThrow()
        .text());
    assertEquals(layer.length, source.received());
    assertEquals(List.of("service=scripted&scope=repository%3Ateam%2Fapp%3Apull"), tokenQueries);
    // The storage a blob is redirected to does not get the registry's token.
    assertEquals(List.of("null"), storageAuthorizations);
    assertSpoolGone();
  }

  @Test
  void wrongCredentialsAreRefused() {
    SourceUnavailableException e = assertThrows(SourceUnavailableException.class,
        () -> Tars.walk(source(":1.0", "wrong", Long.MAX_VALUE)));
    assertTrue(e.getMessage().contains("registry refused credentials of user ci"), e::getMessage);
  }

  @Test
  void aRegistryThatStaysDownIsUnavailable() throws IOException {
    failuresLeft.set(100);
    SourceUnavailableException e = assertThrows(SourceUnavailableException.class,
        () -> Tars.walk(source(":1.0", PASSWORD, Long.MAX_VALUE)));
    assertTrue(e.getMessage().contains("answered HTTP 503"), e::getMessage);
    assertTrue(failuresLeft.get() < 100 - 3, "retried");
    assertSpoolGone();
  }

  @Test
  void layersAreHeldToTheByteLimit() throws IOException {
    LimitExceededException e = assertThrows(LimitExceededException.class,
        () -> Tars.walk(source(":1.0", PASSWORD, layer.length - 1)));
    assertTrue(e.getMessage().contains("more than the limit of"), e::getMessage);
    assertSpoolGone();
  }

  @Test
  void aDigestReferenceIsChecked() throws IOException {
    String manifest = manifests.get("1.0");
    String digest = "sha256:" + LocalRegistry.sha256(manifest.getBytes(StandardCharsets.UTF_8));
    manifests.put(digest, manifest);
    assertEquals(2, Tars.walk(source(":ignored@" + digest, PASSWORD, Long.MAX_VALUE)).size());
    String other = "sha256:" + "0".repeat(64);
    manifests.put(other, manifest);
    InvalidSourceException e = assertThrows(InvalidSourceException.class,
        () -> Tars.walk(source("@" + other, PASSWORD, Long.MAX_VALUE)));
    assertTrue(e.getMessage().contains("does not match its digest"), e::getMessage);
    assertNull(e instanceof SourceUnavailableException ? e : null);
    assertSpoolGone();
  }

  private void assertSpoolGone() throws IOException {
    try (Stream<Path> left = Files.list(scratch)) {
      assertEquals(List.of(), left.toList());
    }
  }
}
