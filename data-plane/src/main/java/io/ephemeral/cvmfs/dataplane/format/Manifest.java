package io.ephemeral.cvmfs.dataplane.format;

import io.ephemeral.cvmfs.common.format.ContentHash;
import io.ephemeral.cvmfs.common.format.SignedDocument;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * The fields of {@code .cvmfspublished} (format.md 5.1). Optional hashes are {@code null} when absent.
 *
 * @param catalogSize uncompressed size of the root catalog ({@code B})
 * @param ttl seconds ({@code D})
 * @param timestamp Unix seconds of publication ({@code T})
 */
public record Manifest(
    ContentHash rootCatalog,
    long catalogSize,
    long ttl,
    long revision,
    boolean garbageCollectable,
    String fqrn,
    ContentHash certificate,
    ContentHash history,
    long timestamp,
    ContentHash metainfo,
    ContentHash reflog) {

  /** MD5 of the empty string: the root path hash every manifest must carry. */
  public static final String ROOT_PATH_HASH = "d41d8cd98f00b204e9800998ecf8427e";

  /** The body in the line order cvmfs_server writes, which the signature covers byte for byte. */
  public byte[] body() {
    StringBuilder body = new StringBuilder(512);
    line(body, 'C', rootCatalog);
    line(body, 'B', catalogSize);
    line(body, 'R', ROOT_PATH_HASH);
    line(body, 'D', ttl);
    line(body, 'S', revision);
    line(body, 'G', garbageCollectable ? "yes" : "no");
    line(body, 'A', "no");
    line(body, 'N', fqrn);
    line(body, 'X', certificate);
    line(body, 'H', history);
    line(body, 'T', timestamp);
    line(body, 'M', metainfo);
    line(body, 'Y', reflog);
    return body.toString().getBytes(StandardCharsets.US_ASCII);
  }

  public SignedDocument sign(SignedDocument.Signer repositoryKey) {
    return SignedDocument.sign(body(), rootCatalog.algorithm(), repositoryKey);
  }

  /** Parses a manifest body as the client does: one key letter per line, last value wins. */
  public static Manifest parse(SignedDocument document) {
    Map<Character, String> fields = new HashMap<>();
    for (String line : document.bodyText().split("\n")) {
      if (!line.isEmpty()) {
        fields.put(line.charAt(0), line.substring(1));
      }
    }
    for (char required : new char[] {'C', 'R', 'D', 'S'}) {
      if (!fields.containsKey(required)) {
        throw new IllegalArgumentException("incomplete manifest: no " + required + " line");
      }
    }
    if (!ROOT_PATH_HASH.equals(fields.get('R'))) {
      throw new IllegalArgumentException("catalog root path mismatch: R" + fields.get('R'));
    }
    return new Manifest(
        ContentHash.parse(fields.get('C')),
        Long.parseLong(fields.getOrDefault('B', "0")),
        Long.parseLong(fields.get('D')),
        Long.parseLong(fields.get('S')),
        "yes".equals(fields.get('G')),
        fields.get('N'),
        optionalHash(fields.get('X')),
        optionalHash(fields.get('H')),
        Long.parseLong(fields.getOrDefault('T', "0")),
        optionalHash(fields.get('M')),
        optionalHash(fields.get('Y')));
  }

  private static ContentHash optionalHash(String value) {
    return value == null ? null : ContentHash.parse(value);
  }

  private static void line(StringBuilder body, char key, Object value) {
    if (value != null) {
      body.append(key).append(value).append('\n');
    }
  }
}
