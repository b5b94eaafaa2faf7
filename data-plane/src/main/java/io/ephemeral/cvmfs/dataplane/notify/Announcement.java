package io.ephemeral.cvmfs.dataplane.notify;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * One revision of a repository as written to every subscriber: the server-sent event, framed
 * once as an HTTP chunk and shared by all streams.
 *
 * @param chunk the chunk size line, the event {@code "data: " + message + LF LF} (format.md 10.5),
 *     and the closing CR LF
 */
record Announcement(String repository, long revision, byte[] chunk) {

  static Announcement of(ActivityMessage message, long revision) {
    byte[] event = ("data: " + message.toJson() + "\n\n").getBytes(StandardCharsets.UTF_8);
    ByteArrayOutputStream chunk = new ByteArrayOutputStream(event.length + 12);
    chunk.writeBytes((Integer.toHexString(event.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
    chunk.writeBytes(event);
    chunk.writeBytes(new byte[] {'\r', '\n'});
    return new Announcement(message.repository(), revision, chunk.toByteArray());
  }

  /** Whether this must follow {@code previous} on a stream: nothing older, nothing twice. */
  boolean supersedes(Announcement previous) {
    return previous == null || (this != previous && revision >= previous.revision);
  }
}
