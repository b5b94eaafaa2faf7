package io.ephemeral.cvmfs.dataplane.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.ephemeral.cvmfs.dataplane.publish.PublicationPolicy;
import io.ephemeral.cvmfs.dataplane.repository.Repository;
import io.ephemeral.cvmfs.dataplane.server.DataPlane;
import io.ephemeral.cvmfs.dataplane.server.DataPlaneConfig;
import io.ephemeral.cvmfs.dataplane.testsupport.ApiRequests;
import io.ephemeral.cvmfs.dataplane.testsupport.HostileCorpus;
import io.ephemeral.cvmfs.dataplane.testsupport.Tars;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile publishes over HTTP against the limits: file 1 MiB, publication 4 MiB, 100 entries,
 * expansion ratio 100. Each is answered with a JSON error naming the limit, leaves the revision
 * as it was and the scratch directory empty.
 */
class ApiLimitsTest {

  private static final String REPO = "limits.example.org";

  @TempDir
  static Path data;

  private static DataPlane dataPlane;
  private static String base;

  @BeforeAll
  static void start() throws IOException {
    DataPlaneConfig local = DataPlaneConfig.local(data, List.of(REPO))
        .withPolicy(new PublicationPolicy(Duration.ofHours(2), Duration.ofDays(7), 1 << 20, 4 << 20, 100, 100,
            Duration.ofHours(1)));
    dataPlane = DataPlane.start(local);
    base = "http://127.0.0.1:" + dataPlane.port();
  }

  @AfterAll
  static void stop() {
    dataPlane.close();
  }

  private static String token() throws IOException {
    return Files.readString(data.resolve("keys").resolve(REPO + ".token")).strip();
  }

  private static HttpResponse<String> put(String path, byte[] body) throws Exception {
    return ApiRequests.send(HttpRequest.newBuilder(URI.create(base + "/api/v1/repos/" + REPO + "/paths/" + path))
        .PUT(HttpRequest.BodyPublishers.ofByteArray(body)), token());
  }

  private static byte[] manifest() throws IOException {
    return Files.readAllBytes(data.resolve(REPO).resolve(Repository.MANIFEST));
  }

  private static void assertRefused(String path, byte[] body, int status, String detail) throws Exception {
    byte[] before = manifest();
    HttpResponse<String> response = put(path, body);
    assertEquals(status, response.statusCode(), path + ": " + response.body());
    JsonNode error = JsonResponses.JSON.readTree(response.body());
    assertTrue(error.has("error") && error.get("detail").asText().contains(detail), path + ": " + response.body());
    assertArrayEquals(before, manifest(), path + " changed the repository");
    assertScratchEmpty();
  }

  private static void assertScratchEmpty() throws IOException {
    Path scratch = data.resolve("state").resolve(REPO).resolve("tmp");
    if (Files.isDirectory(scratch)) {
      try (Stream<Path> files = Files.list(scratch)) {
        assertEquals(List.of(), files.toList(), "left in the scratch directory");
      }
    }
  }

  @Test
  void imageBombIsRefusedWhileSpooling() throws Exception {
    byte[] bomb = Tars.gzip(Tars.tar().file("huge", new byte[256 << 20], 0644).bytes());
    assertTrue(bomb.length < 512 << 10);
    assertRefused("image-bomb?format=docker-archive", bomb, 413, "larger than the limit of");
    byte[] ratio = Tars.gzip(Tars.tar().file("zeros", new byte[6 << 20], 0644).bytes());
    assertRefused("image-ratio?format=docker-archive", ratio, 413, "100 times its size");
  }

  @Test
  void imageWithThousandsOfMembersIsRefusedWhileSpooling() throws Exception {
    assertRefused("image-members?format=oci-archive", HostileCorpus.manyMembers(3000), 413, "entries");
  }

  @Test
  void hardLinksCannotExpandPastTheLimits() throws Exception {
    assertRefused("hardlinks", Tars.gzip(HostileCorpus.hardLinkBomb(90)), 413, "expands past");
  }

  @Test
  void deepAndLongNamesAreRefusedAndTheDeepestAllowedIsPublished() throws Exception {
    assertRefused("deep", HostileCorpus.deepPath(30_000), 400, "PATH_MAX");
    assertRefused("deeper", HostileCorpus.deepPath(300), 400, "256 levels");
    assertRefused("long", HostileCorpus.longPaxNames(50), 400, "4096 bytes");
    HttpResponse<String> ok = put("deepest", Tars.tar().file("d/".repeat(255) + "f", "x").bytes());
    assertEquals(201, ok.statusCode(), ok.body());
    assertScratchEmpty();
  }

  @Test
  void namesThatAreNotUtf8AreRefused() throws Exception {
    assertRefused("latin1", HostileCorpus.latin1Member(), 400, "not valid UTF-8");
    assertRefused("pax", HostileCorpus.latin1PaxPath(), 400, "not valid UTF-8");
    assertRefused("bad%FFpath", Tars.tar().file("ok", "ok").bytes(), 400, "not valid UTF-8");
    assertRefused("bad%C0%AFpath", Tars.tar().file("ok", "ok").bytes(), 400, "not valid UTF-8");
    HttpResponse<String> ok = put("caf%C3%A9", Tars.tar().file("ok", "ok").bytes());
    assertEquals(201, ok.statusCode(), ok.body());
    assertEquals("/caf\u00e9", JsonResponses.JSON.readTree(ok.body()).get("path").asText());
  }

  @Test
  void corruptHeadersAreRefused() throws Exception {
    assertRefused("corrupt", HostileCorpus.corruptChecksum(), 400, "checksum");
  }

  @Test
  void aBodyEndingBeforeItsContentLengthPublishesNothing() throws Exception {
    byte[] before = manifest();
    byte[] tar = Tars.tar().file("complete", "the archive is whole, the body is not").bytes();
    try (Socket socket = new Socket("127.0.0.1", dataPlane.port())) {
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      out.write(("PUT /api/v1/repos/" + REPO + "/paths/short-body HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
          + token() + "\r\nContent-Length: " + (tar.length + 4096) + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      out.write(tar);
      out.flush();
      Thread.sleep(500);
      socket.shutdownOutput();
      InputStream in = socket.getInputStream();
      String answer = new String(in.readAllBytes(), StandardCharsets.US_ASCII);
      assertTrue(!answer.contains(" 201 "), answer);
    }
    Thread.sleep(500);
    assertArrayEquals(before, manifest());
    HttpResponse<String> listing = ApiRequests.send(HttpRequest.newBuilder(
        URI.create(base + "/api/v1/repos/" + REPO + "/paths")).GET(), null);
    assertTrue(!listing.body().contains("short-body"), listing.body());
    assertScratchEmpty();
  }

  @Test
  void bytesThatAreNoContentCountAgainstTheUploadLimit() throws Exception {
    long limit = dataPlane.service().maxUploadBytes();
    assertTrue(limit < 64 << 20, "limit " + limit);
    byte[] before = manifest();
    // Members of a few bytes behind PAX headers of 1 MiB of comment: no limit on content is reached.
    byte[] member = HostileCorpus.paddedMember(1 << 20);
    long start = System.nanoTime();
    String answer;
    try (Socket socket = new Socket("127.0.0.1", dataPlane.port())) {
      socket.setSoTimeout(30_000);
      OutputStream out = socket.getOutputStream();
      out.write(("PUT /api/v1/repos/" + REPO + "/paths/padding HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
          + token() + "\r\nTransfer-Encoding: chunked\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      Thread sender = new Thread(() -> {
        try {
          // Up to twice the limit; the server answers and stops reading long before.
          for (long sent = 0; sent < 2 * limit; sent += member.length) {
            out.write((Integer.toHexString(member.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(member);
            out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
          }
        } catch (IOException e) {
          // the server closed: expected
        }
      });
      sender.setDaemon(true);
      sender.start();
      answer = new String(socket.getInputStream().readNBytes(4096), StandardCharsets.UTF_8);
      sender.join(15_000);
    }
    assertTrue(answer.startsWith("HTTP/1.1 413 "), answer);
    assertTrue(answer.contains("\"too_large\"") && answer.contains("larger than the limit of " + limit + " bytes"), answer);
    assertTrue(System.nanoTime() - start < 30_000_000_000L);
    assertArrayEquals(before, manifest());
    assertScratchEmpty();
  }

  @Test
  void aDeclaredBodyAboveTheUploadLimitIsRefusedFromTheHeadOnBothPorts() throws Exception {
    long limit = dataPlane.service().maxUploadBytes();
    for (int port : new int[] {dataPlane.port(), dataPlane.notificationPort()}) {
      for (String target : List.of("/api/v1/repos/" + REPO + "/paths/declared", "/api/v1/repos/" + REPO + "/uploads",
          "/repos/" + REPO, "/api/v1/notifications/publish")) {
        try (Socket socket = new Socket("127.0.0.1", port)) {
          socket.setSoTimeout(10_000);
          long start = System.nanoTime();
          socket.getOutputStream().write(((target.endsWith("declared") ? "PUT " : "POST ") + target
              + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token() + "\r\nContent-Length: " + (limit + 1)
              + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
          String answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
          assertTrue(answer.startsWith("HTTP/1.1 413 "), port + " " + target + ": " + answer);
          assertTrue(answer.contains("at most " + limit + " bytes"), answer);
          assertTrue(System.nanoTime() - start < 8_000_000_000L, "answered from the head");
        }
      }
    }
    assertScratchEmpty();
  }
}
