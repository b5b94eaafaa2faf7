package io.ephemeral.cvmfs.dataplane.notify;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Base64;
import java.util.Locale;
import java.util.Objects;

/**
 * The activity message of the notification protocol (format.md 10.2): repository {@code repository}
 * has a new manifest.
 *
 * @param timestamp free text, never interpreted by clients
 * @param manifest the complete signed {@code .cvmfspublished}, signature included
 */
public record ActivityMessage(int version, String timestamp, String repository, byte[] manifest) {

  public static final int VERSION = 1;

  static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  // The form cvmfs_swissknife writes, e.g. "18 Oct 2024 10:01:07"; we write it in UTC.
  private static final DateTimeFormatter TIMESTAMP =
      DateTimeFormatter.ofPattern("d MMM yyyy HH:mm:ss", Locale.ROOT).withZone(ZoneOffset.UTC);

  public ActivityMessage {
    Objects.requireNonNull(timestamp, "timestamp");
    Objects.requireNonNull(repository, "repository");
    manifest = manifest.clone();
  }

  /** The message announcing {@code manifest}, time-stamped with {@code published}. */
  public static ActivityMessage of(String repository, byte[] manifest, Instant published) {
    return new ActivityMessage(VERSION, TIMESTAMP.format(published), repository, manifest);
  }

  @Override
  public byte[] manifest() {
    return manifest.clone();
  }

  /**
   * The message as compact JSON: one line, starting with <code>{</code>, as the client's parser
   * requires; Jackson escapes every control character inside strings.
   */
  public String toJson() {
    try {
      return JSON.writeValueAsString(JSON.createObjectNode()
          .put("version", version)
          .put("timestamp", timestamp)
          .put("type", "activity")
          .put("repository", repository)
          .put("manifest", Base64.getEncoder().encodeToString(manifest)));
    } catch (IOException e) {
      throw new IllegalStateException("cannot write an activity message", e);
    }
  }

  /** Parses a message as the client does, but also insists on version 1. */
  public static ActivityMessage parse(byte[] json) throws NotificationException {
    JsonNode node = readObject(json);
    int version = version(node);
    String type = text(node, "type");
    if (!type.equals("activity")) {
      throw NotificationException.badRequest("invalid_message", "type is '" + type + "', expected 'activity'");
    }
    String encoded = text(node, "manifest");
    byte[] manifest;
    try {
      // The client decodes only padded base64; Java's decoder would accept it unpadded too.
      if (encoded.isEmpty() || encoded.length() % 4 != 0) {
        throw new IllegalArgumentException("length " + encoded.length() + " is not a positive multiple of 4");
      }
      manifest = Base64.getDecoder().decode(encoded);
    } catch (IllegalArgumentException e) {
      throw NotificationException.badRequest("invalid_message", "manifest is not standard base64: " + e.getMessage());
    }
    return new ActivityMessage(version, text(node, "timestamp"), text(node, "repository"), manifest);
  }

  /** The body as a JSON object, or 400. */
  static JsonNode readObject(byte[] json) throws NotificationException {
    JsonNode node;
    try {
      node = JSON.readTree(json);
    } catch (JacksonException e) {
      throw NotificationException.badRequest("malformed_json", "body is not valid JSON: " + e.getOriginalMessage());
    } catch (IOException e) {
      throw NotificationException.badRequest("malformed_json", "body is not valid JSON: " + e.getMessage());
    }
    if (node == null || !node.isObject()) {
      throw NotificationException.badRequest("malformed_json", "body is not a JSON object");
    }
    return node;
  }

  /** The {@code version} member, which must be the integer 1, or 400. */
  static int version(JsonNode message) throws NotificationException {
    JsonNode version = message.get("version");
    if (version == null || !version.isIntegralNumber()) {
      throw NotificationException.badRequest("invalid_message", "version must be an integer");
    }
    if (!version.canConvertToInt() || version.intValue() != VERSION) {
      throw NotificationException.badRequest("unsupported_version",
          "version " + version.asText() + " is not supported, only " + VERSION);
    }
    return VERSION;
  }

  /** A string member, or 400. */
  static String text(JsonNode message, String name) throws NotificationException {
    JsonNode member = message.get(name);
    if (member == null || !member.isTextual()) {
      throw NotificationException.badRequest("invalid_message", name + " must be a string");
    }
    return member.textValue();
  }
}
