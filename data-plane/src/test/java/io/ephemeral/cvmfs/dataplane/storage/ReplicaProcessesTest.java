package io.ephemeral.cvmfs.dataplane.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ephemeral.cvmfs.dataplane.testsupport.LocalS3;
import io.ephemeral.cvmfs.dataplane.testsupport.Tars;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two {@code serve} processes on one bucket, as two pods: the writer is killed with SIGKILL, so
 * its lease is not let go but lapses; the follower then stops with status 75, and the process
 * started again in its place takes the repository over, one revision after the last, with every
 * publication.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class ReplicaProcessesTest {

  private static final String FQRN = "processes.example.org";
  private static final String TOKEN = "replica-processes-token";
  private static final Pattern SERVING = Pattern.compile("serving (http://127\\.0\\.0\\.1:\\d+)/cvmfs/");
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir
  Path temp;

  private LocalS3 s3;
  private S3Settings bucket;
  private final List<Process> processes = new ArrayList<>();
  private final HttpClient http = HttpClient.newHttpClient();

  @BeforeEach
  void start() throws Exception {
    s3 = LocalS3.start(temp.resolve("s3"));
    bucket = s3.bucket("pods", "cluster");
  }

  @AfterEach
  void stop() throws Exception {
    for (Process process : processes) {
      process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
    }
    s3.close();
  }

  /** A running {@code serve} and the base URL it printed. */
  private record Serve(Process process, String base, Path log) {}

  private Serve serve(String name) throws Exception {
    Path log = temp.resolve(name + ".log");
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), "io.ephemeral.cvmfs.dataplane.cli.Main", "serve",
        "--data", temp.resolve(name).toString(), "--keys", temp.resolve("keys").toString(), "--repository", FQRN,
        "--bind", "127.0.0.1", "--port", "0", "--notification-port", "-1", "--gc-interval", "0",
        "--storage", "s3://" + bucket.bucket() + "/" + bucket.prefix(), "--s3-endpoint", bucket.endpoint().toString(),
        "--s3-path-style", "--s3-region", "us-east-1", "--s3-lease-term", "2s"));
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
    builder.environment().put("CVMFS_EPHEMERAL_TOKEN", TOKEN);
    builder.environment().put("AWS_ACCESS_KEY_ID", LocalS3.ACCESS_KEY);
    builder.environment().put("AWS_SECRET_ACCESS_KEY", LocalS3.SECRET_KEY);
    Process process = builder.start();
    processes.add(process);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      Matcher matcher = SERVING.matcher(Files.exists(log) ? Files.readString(log) : "");
      if (matcher.find()) {
        return new Serve(process, matcher.group(1), log);
      }
      if (!process.isAlive()) {
        fail(name + " exited with " + process.exitValue() + ": " + Files.readString(log));
      }
      Thread.sleep(50);
    }
    throw new IOException(name + " did not start: " + Files.readString(log));
  }

  private HttpResponse<String> send(Serve serve, String method, String path, byte[] body) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(serve.base() + "/api/v1/repos/" + FQRN + path))
        .header("Authorization", "Bearer " + TOKEN).timeout(Duration.ofSeconds(60))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private JsonNode info(Serve serve) throws Exception {
    return JSON.readTree(send(serve, "GET", "", null).body());
  }

  @Test
  void whenTheWriterIsKilledTheFollowerRestartsAndTakesOverWithNothingLostOrRepeated() throws Exception {
    Serve writer = serve("writer");
    assertEquals(201, send(writer, "PUT", "/paths/before", Tars.tar().file("b.txt", "before").bytes()).statusCode());
    long before = info(writer).path("revision").asLong();
    Serve follower = serve("follower");
    assertEquals(307, send(follower, "GET", "", null).statusCode(), Files.readString(follower.log()));

    writer.process().destroyForcibly();
    assertTrue(writer.process().waitFor(30, TimeUnit.SECONDS));
    // The lease lapses (2 s), the follower sees it within a second, drains and stops.
    assertTrue(follower.process().waitFor(30, TimeUnit.SECONDS), "the follower did not stop");
    assertEquals(75, follower.process().exitValue(), Files.readString(follower.log()));

    Serve successor = serve("follower");
    JsonNode taken = info(successor);
    assertEquals("writer", taken.path("role").asText(), taken.toString());
    assertEquals(before, taken.path("revision").asLong());
    assertEquals(201, send(successor, "PUT", "/paths/after", Tars.tar().file("a.txt", "after").bytes()).statusCode());
    JsonNode after = info(successor);
    assertEquals(before + 1, after.path("revision").asLong(), "one revision after the last, none lost or repeated");
    assertEquals(2, after.path("publications").asInt(), after.toString());
  }
}
