package io.ephemeral.cvmfs.dataplane.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class ServeConfigTest {

  @Test
  void clientsAreToldTheNotificationApiOnThePublicUrl() {
    assertEquals("http://cvmfs.example:8080/api/v1", config(4929, "http://cvmfs.example:8080/").notificationUrl());
    assertEquals("http://cvmfs.example/api/v1", config(4929, "http://cvmfs.example").notificationUrl());
  }

  @Test
  void notificationPortIsAPortZeroOrMinusOne() {
    config(-1, "http://x");
    config(0, "http://x");
    assertThrows(IllegalArgumentException.class, () -> config(-2, "http://x"));
    assertThrows(IllegalArgumentException.class, () -> config(65536, "http://x"));
  }

  private static ServeConfig config(int notificationPort, String publicUrl) {
    return new ServeConfig(List.of("repo.example.org"), "0.0.0.0", 8080, notificationPort, publicUrl);
  }
}
