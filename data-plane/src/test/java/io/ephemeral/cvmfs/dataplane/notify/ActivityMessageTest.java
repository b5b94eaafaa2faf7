package io.ephemeral.cvmfs.dataplane.notify;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ActivityMessageTest {

  private static final byte[] MANIFEST = "Cabc\nS7\n--\nhash\n\u0001\u0002".getBytes(StandardCharsets.ISO_8859_1);

  @Test
  void writesOneLineOfCompactJson() {
    ActivityMessage message = ActivityMessage.of("repo.example.org", MANIFEST, Instant.parse("2024-10-18T10:01:07Z"));
    assertEquals("{\"version\":1,\"timestamp\":\"18 Oct 2024 10:01:07\",\"type\":\"activity\","
        + "\"repository\":\"repo.example.org\",\"manifest\":\"" + Base64.getEncoder().encodeToString(MANIFEST) + "\"}",
        message.toJson());
  }

  @Test
  void readsWhatSwissknifeWrites() throws Exception {
    String body = "{ \"version\" : 1, \"timestamp\" : \"18 Oct 2024 10:01:07\", \"type\" : \"activity\", "
        + "\"repository\" : \"repo.example.org\", \"manifest\" : \"" + Base64.getEncoder().encodeToString(MANIFEST) + "\"}";
    ActivityMessage message = ActivityMessage.parse(body.getBytes(StandardCharsets.UTF_8));
    assertEquals("18 Oct 2024 10:01:07", message.timestamp());
    assertEquals("repo.example.org", message.repository());
    assertArrayEquals(MANIFEST, message.manifest());
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "{\"version\":1,                                                                          | malformed_json",
      "[1]                                                                                      | malformed_json",
      "{} {}                                                                                    | malformed_json",
      "''                                                                                       | malformed_json",
      "{\"version\":2,\"timestamp\":\"t\",\"type\":\"activity\",\"repository\":\"r\",\"manifest\":\"QUJD\"}  | unsupported_version",
      "{\"version\":\"1\",\"timestamp\":\"t\",\"type\":\"activity\",\"repository\":\"r\",\"manifest\":\"QUJD\"} | invalid_message",
      "{\"version\":1,\"timestamp\":\"t\",\"type\":\"other\",\"repository\":\"r\",\"manifest\":\"QUJD\"}     | invalid_message",
      "{\"version\":1,\"timestamp\":\"t\",\"type\":\"activity\",\"manifest\":\"QUJD\"}                       | invalid_message",
      "{\"version\":1,\"timestamp\":\"t\",\"type\":\"activity\",\"repository\":\"r\",\"manifest\":\"QUI\"}   | invalid_message",
      "{\"version\":1,\"timestamp\":\"t\",\"type\":\"activity\",\"repository\":\"r\",\"manifest\":\"QU*D\"}  | invalid_message",
  })
  void refusesWhatTheClientWouldNotAccept(String body, String code) {
    NotificationException e = assertThrows(NotificationException.class,
        () -> ActivityMessage.parse(body.getBytes(StandardCharsets.UTF_8)));
    assertEquals(400, e.status());
    assertEquals(code, e.code(), e.getMessage());
  }

  @Test
  void subscriptionIsTheStockClientsBody() throws Exception {
    assertEquals("{\"version\":1,\"repository\":\"repo.example.org\"}", SubscribeRequest.of("repo.example.org").toJson());
    assertEquals("repo.example.org",
        SubscribeRequest.parse("{\"version\":1,\"repository\":\"repo.example.org\"}".getBytes(StandardCharsets.UTF_8))
            .repository());
    assertEquals("invalid_repository", assertThrows(NotificationException.class,
        () -> SubscribeRequest.parse("{\"version\":1,\"repository\":\"No Name\"}".getBytes(StandardCharsets.UTF_8)))
        .code());
  }
}
