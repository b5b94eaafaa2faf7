package io.ephemeral.cvmfs.dataplane.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Streams a 2 GiB archive, generated on the fly, into a data plane whose heap is capped at
 * 256 MiB: nothing may hold the body or a member whole.
 */
class CappedHeapUploadTest {

  private static final long MEMBER = 512L << 20;
  private static final int MEMBERS = 4;

  @TempDir
  Path data;

  @Test
  void twoGibibytesPassThroughA256MibHeap() throws Exception {
    ProcessBuilder builder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx256m", "-cp", System.getProperty("java.class.path"), "io.ephemeral.cvmfs.dataplane.cli.Main", "serve",
        "--data", data.toString(), "--repository", "heap.example.org", "--bind", "127.0.0.1", "--port", "0",
        "--notification-port", "-1", "--compression", "none");
    builder.environment().put("CVMFS_EPHEMERAL_TOKEN", "heap-token");
    builder.redirectErrorStream(true);
    Process server = builder.start();
    try {
      BufferedReader output = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
      String base = null;
      Pattern serving = Pattern.compile("serving (http://127\\.0\\.0\\.1:\\d+)/cvmfs/");
      for (String line; base == null && (line = output.readLine()) != null; ) {
        Matcher matcher = serving.matcher(line);
        if (matcher.find()) {
          base = matcher.group(1);
        }
      }
      assertTrue(base != null, "the server did not start");

      PipedInputStream body = new PipedInputStream(1 << 20);
      PipedOutputStream sink = new PipedOutputStream(body);
      Thread generator = new Thread(() -> generate(sink), "archive-generator");
      generator.start();
      HttpResponse<String> response = HttpClient.newHttpClient().send(
          HttpRequest.newBuilder(URI.create(base + "/api/v1/repos/heap.example.org/paths/big?format=tar"))
              .header("Authorization", "Bearer heap-token")
              .PUT(HttpRequest.BodyPublishers.ofInputStream(() -> body))
              .build(),
          HttpResponse.BodyHandlers.ofString());
      generator.join();
      assertEquals(201, response.statusCode(), response.body());
      JsonNode result = JsonResponses.JSON.readTree(response.body());
      assertEquals(MEMBER * MEMBERS, result.get("bytes").asLong());
      assertTrue(server.isAlive(), "the server died");
    } finally {
      server.destroy();
      server.waitFor();
    }
  }

  // Distinct pseudo-random content, so that every chunk is really hashed and stored.
  private static void generate(PipedOutputStream sink) {
    try (TarArchiveOutputStream tar = new TarArchiveOutputStream(sink)) {
      tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
      Random random = new Random(1);
      byte[] block = new byte[1 << 20];
      for (int member = 0; member < MEMBERS; member++) {
        TarArchiveEntry entry = new TarArchiveEntry("member-" + member + ".bin");
        entry.setSize(MEMBER);
        tar.putArchiveEntry(entry);
        for (long written = 0; written < MEMBER; written += block.length) {
          random.nextBytes(block);
          tar.write(block);
        }
        tar.closeArchiveEntry();
      }
      tar.finish();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

}
