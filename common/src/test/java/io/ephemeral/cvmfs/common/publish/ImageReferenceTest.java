package io.ephemeral.cvmfs.common.publish;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ImageReferenceTest {

  private static final String DIGEST = "sha256:" + "ab".repeat(32);

  @Test
  void readsRegistryNameTagAndDigest() {
    ImageReference tagged = ImageReference.parse("registry.example.org:5000/team/app:1.0");
    assertEquals(new ImageReference("registry.example.org:5000", "https", "team/app", "1.0", null), tagged);
    assertEquals("1.0", tagged.reference());
    assertEquals("https://registry.example.org:5000/v2/", tagged.apiBase().toString());

    ImageReference pinned = ImageReference.parse("registry.example.org/team/app:1.0@" + DIGEST);
    assertEquals(DIGEST, pinned.reference());
    assertEquals("latest", ImageReference.parse("registry.example.org/app").tag());
  }

  @Test
  void loopbackAndHttpPrefixUsePlainHttp() {
    assertEquals("http", ImageReference.parse("localhost:5000/app:1").scheme());
    assertEquals("http", ImageReference.parse("127.0.0.1:5000/app:1").scheme());
    assertEquals("http", ImageReference.parse("http://registry.internal/app:1").scheme());
    assertEquals("https", ImageReference.parse("https://localhost/app").scheme());
    assertEquals("https", ImageReference.parse("registry.internal/app").scheme());
  }

  @Test
  void dockerHubIsTheDefault() {
    ImageReference debian = ImageReference.parse("debian:12");
    assertEquals(ImageReference.DOCKER_HUB, debian.registry());
    assertEquals("library/debian", debian.name());
    assertEquals("https://registry-1.docker.io/v2/", debian.apiBase().toString());
    assertEquals("team/app", ImageReference.parse("team/app").name());
    assertTrue(debian.matchesRegistry("https://index.docker.io/v1/"));
    assertFalse(debian.matchesRegistry("ghcr.io"));
  }

  @Test
  void matchesCredentialKeysAsDockerWritesThem() {
    ImageReference image = ImageReference.parse("registry.example.org:5000/team/app");
    assertTrue(image.matchesRegistry("registry.example.org:5000"));
    assertTrue(image.matchesRegistry("https://registry.example.org:5000/v2/"));
    assertFalse(image.matchesRegistry("registry.example.org"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", " ", "Team/App", "registry.example.org/app:bad tag", "registry.example.org/app@sha256:12",
      "registry.example.org/app@md5:" + "ab", "http://app", "registry.example.org/", "registry.example.org/a//b",
      "registry.example.org/-app"})
  void refusesMalformedReferences(String text) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ImageReference.parse(text));
    assertTrue(e.getMessage().contains("image"), e::getMessage);
  }
}
