package io.ephemeral.cvmfs.dataplane.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.ephemeral.cvmfs.dataplane.repository.DataLayout;
import io.ephemeral.cvmfs.dataplane.server.DataPlane;
import io.ephemeral.cvmfs.dataplane.server.DataPlaneConfig;
import io.ephemeral.cvmfs.dataplane.testsupport.ApiRequests;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Requests refused because every API worker is busy (503) release what they hold: the files of
 * a multipart upload are deleted and closed, and nothing is staged.
 */
class WorkerRefusalTest {

  private static final String REPO = "busy.example.org";
  private static final String TOKEN = "busy-token";

  @TempDir
  static Path data;

  private static DataPlane dataPlane;
  private static TableServer busy;
  private static String base;
  private static final AtomicInteger refused = new AtomicInteger();

  @BeforeAll
  static void start() throws IOException {
    dataPlane = DataPlane.start(DataPlaneConfig.local(data, List.of(REPO)));
    // What a ThreadPoolExecutor on a SynchronousQueue does when all its threads are taken.
    Executor full = task -> {
      refused.incrementAndGet();
      throw new RejectedExecutionException("all workers are busy");
    };
    busy = TableServer.start(dataPlane, data, REPO, TOKEN, full, null);
    base = busy.base();
  }

  @AfterAll
  static void stop() {
    busy.close();
    dataPlane.close();
  }

  private static HttpResponse<String> send(String method, String path, String contentType, byte[] body) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path))
        .method(method, HttpRequest.BodyPublishers.ofByteArray(body));
    if (contentType != null) {
      request.header("Content-Type", contentType);
    }
    return ApiRequests.send(request, TOKEN);
  }

  private static Path scratch() {
    return new DataLayout(data).scratch(REPO);
  }

  /** The files in {@code directory}, and those this process still has open there, deleted or not. */
  private static List<String> heldIn(Path directory) throws IOException {
    List<String> held = new ArrayList<>();
    if (Files.isDirectory(directory)) {
      try (Stream<Path> files = Files.list(directory)) {
        files.forEach(file -> held.add(file.toString()));
      }
    }
    try (Stream<Path> descriptors = Files.list(Path.of("/proc/self/fd"))) {
      for (Path descriptor : (Iterable<Path>) descriptors::iterator) {
        try {
          String target = Files.readSymbolicLink(descriptor).toString();
          if (target.startsWith(directory.toString())) {
            held.add("open: " + target);
          }
        } catch (IOException gone) {
          // closed while listing
        }
      }
    }
    return held;
  }

  @Test
  void aRefusedMultipartUploadLeavesNoFileBehind() throws Exception {
    byte[] content = new byte[300 * 1024]; // beyond what is kept in memory: written to the scratch folder
    String boundary = "refused-boundary";
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    body.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.bin\"\r\n"
        + "Content-Type: application/octet-stream\r\n\r\n").getBytes(StandardCharsets.UTF_8));
    body.writeBytes(content);
    body.writeBytes(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
    int before = refused.get();
    for (int i = 0; i < 3; i++) {
      HttpResponse<String> response = send("POST", "/repos/" + REPO + "?ttl_s=60",
          "multipart/form-data; boundary=" + boundary, body.toByteArray());
      assertEquals(503, response.statusCode(), response.body());
      assertEquals("too many requests in progress; retry later",
          JsonResponses.JSON.readTree(response.body()).get("detail").asText());
    }
    assertEquals(before + 3, refused.get(), "the uploads reached the worker pool");
    assertEquals(List.of(), heldIn(scratch()));
  }

  @Test
  void refusedStreamedAndJsonBodiesLeaveNothingStaged() throws Exception {
    HttpResponse<String> staged = send("POST", "/api/v1/repos/" + REPO + "/uploads", null, new byte[2 << 20]);
    assertEquals(503, staged.statusCode(), staged.body());
    JsonNode error = JsonResponses.JSON.readTree(staged.body());
    assertEquals("busy", error.get("error").asText());
    HttpResponse<String> published = send("PUT", "/api/v1/repos/" + REPO + "/paths/refused?format=file", null,
        new byte[1 << 20]);
    assertEquals(503, published.statusCode(), published.body());
    HttpResponse<String> claimed = send("POST", "/api/v1/repos/" + REPO + "/paths/refused", "application/json",
        "{\"upload\": \"0123456789abcdef0123456789abcdef\"}".getBytes(StandardCharsets.UTF_8));
    assertEquals(503, claimed.statusCode(), claimed.body());
    assertEquals(List.of(), heldIn(new DataLayout(data).uploads(REPO)));
    assertEquals(List.of(), heldIn(scratch()));
    assertTrue(dataPlane.service().publication(REPO, "refused").isEmpty());
  }
}
