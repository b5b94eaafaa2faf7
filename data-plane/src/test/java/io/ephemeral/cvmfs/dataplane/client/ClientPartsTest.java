package io.ephemeral.cvmfs.dataplane.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Targets, backoff, which failures are retried, and the manifest's revision. */
class ClientPartsTest {

  @Test
  void aTargetIsBaseThenRepositoryThenPath() {
    Target target = Target.parse("http://server:8080/builds.example.org/pipelines/42");
    assertEquals(URI.create("http://server:8080"), target.base());
    assertEquals("builds.example.org", target.fqrn());
    assertEquals("pipelines/42", target.path());
    assertEquals(URI.create("http://server:8080/api/v1/repos/builds.example.org/paths/pipelines/42?ttl=2h"),
        target.pathApi("ttl=2h"));
    assertEquals(URI.create("http://server:8080/cvmfs/builds.example.org"), target.repositoryUrl());

    Target proxied = Target.parse("https://ci.example.com/cvmfs-api/builds.example.org/");
    assertEquals(URI.create("https://ci.example.com/cvmfs-api"), proxied.base());
    assertEquals("", proxied.path());
    assertThrows(IllegalArgumentException.class, proxied::requirePath);
    assertThrows(IllegalArgumentException.class, () -> Target.parse("http://server:8080/pipelines/42"));
    assertThrows(IllegalArgumentException.class, () -> Target.parse("ftp://server/builds.example.org/x"));
  }

  @Test
  void backoffDoublesUpToItsCapAndHonoursRetryAfter() {
    RetryPolicy policy = RetryPolicy.of(4, Duration.ofSeconds(1));
    assertEquals(List.of(Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofSeconds(4), Duration.ofSeconds(8)),
        List.of(policy.delay(1), policy.delay(2), policy.delay(3), policy.delay(4)));
    assertEquals(Duration.ofSeconds(60), policy.delay(10));
    assertEquals(Duration.ofSeconds(30), policy.delay(1, new ApiResponse(429, "", Optional.of(30L))));
    assertEquals(Duration.ofSeconds(60), policy.delay(1, new ApiResponse(503, "", Optional.of(3600L))));
  }

  @Test
  void transientFailuresAreRetriedOthersAnsweredAtOnce() throws Exception {
    List<Duration> waits = new ArrayList<>();
    List<String> notices = new ArrayList<>();
    Retrying retrying = new Retrying(RetryPolicy.of(3, Duration.ofSeconds(1)), notices::add, waits::add);
    AtomicInteger attempts = new AtomicInteger();
    ApiResponse answer = retrying.run("PUT x", true, n -> {
      attempts.incrementAndGet();
      if (n == 1) {
        throw new ConnectException();
      }
      return n == 2 ? new ApiResponse(502, "bad gateway", Optional.empty()) : new ApiResponse(201, "{}", Optional.empty());
    });
    assertEquals(201, answer.status());
    assertEquals(3, attempts.get());
    assertEquals(List.of(Duration.ofSeconds(1), Duration.ofSeconds(2)), waits);
    assertTrue(notices.get(0).startsWith("attempt 1 failed: cannot connect"), notices.toString());

    assertEquals(400, retrying.run("PUT x", true, n -> new ApiResponse(400, "{}", Optional.empty())).status());

    ClientFailure gaveUp = assertThrows(ClientFailure.class,
        () -> retrying.run("PUT x", true, n -> new ApiResponse(504, "", Optional.empty())));
    assertEquals(3, gaveUp.exitCode());
    assertTrue(gaveUp.getMessage().contains("failed after 4 attempts: HTTP 504"), gaveUp.getMessage());

    ClientFailure stdin = assertThrows(ClientFailure.class, () -> retrying.run("PUT x", false, n -> {
      throw new IOException("Connection reset");
    }));
    assertEquals(3, stdin.exitCode());
    assertTrue(stdin.getMessage().contains("not retried: a body read from standard input cannot be sent again"));

    ClientFailure unreadable = assertThrows(ClientFailure.class, () -> retrying.run("PUT x", true, n -> {
      throw new SourceFailure("cannot read the source: Permission denied", null);
    }));
    assertEquals(1, unreadable.exitCode());
  }

  @Test
  void theRevisionIsTheManifestsSLine() {
    byte[] manifest = "Cabc\nS42\nNbuilds.example.org\n--\nS7\n".getBytes(StandardCharsets.UTF_8);
    assertEquals(OptionalLong.of(42), VisibilityWait.revisionOf(manifest));
    assertEquals(OptionalLong.empty(), VisibilityWait.revisionOf("Cabc\n--\nS7\n".getBytes(StandardCharsets.UTF_8)));
  }
}
