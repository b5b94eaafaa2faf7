package io.ephemeral.cvmfs.common.format;

import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;

/**
 * The fields of {@code .cvmfswhitelist} (format.md 6.1): when it was issued, when it expires, the
 * repository it is for, and the fingerprints of the certificates it allows.
 */
public record Whitelist(Instant issued, Instant expires, String fqrn, List<String> fingerprints) {

  private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMddHHmmss").withZone(ZoneOffset.UTC);

  public Whitelist {
    issued = issued.truncatedTo(ChronoUnit.SECONDS);
    expires = expires.truncatedTo(ChronoUnit.SECONDS);
    fingerprints = List.copyOf(fingerprints);
  }

  public byte[] body() {
    StringBuilder body = new StringBuilder();
    body.append(STAMP.format(issued)).append('\n');
    body.append('E').append(STAMP.format(expires)).append('\n');
    body.append('N').append(fqrn).append('\n');
    fingerprints.forEach(fingerprint -> body.append(fingerprint).append('\n'));
    return body.toString().getBytes(StandardCharsets.US_ASCII);
  }

  public SignedDocument sign(HashAlgorithm algorithm, SignedDocument.Signer masterKey) {
    return SignedDocument.sign(body(), algorithm, masterKey);
  }

  /**
   * The instant the client stops accepting this whitelist: it reads only the date and the hour
   * of the {@code E} line (format.md 6.4).
   */
  public Instant clientExpiry() {
    return expires.truncatedTo(ChronoUnit.HOURS);
  }

  /** Whether {@code certificate} is listed, compared in the algorithm of each fingerprint line. */
  public boolean lists(X509Certificate certificate) {
    for (String line : fingerprints) {
      String normalized = line.split("[ \t#]", 2)[0];
      for (HashAlgorithm algorithm : HashAlgorithm.values()) {
        if (fingerprint(certificate, algorithm).equalsIgnoreCase(normalized)) {
          return true;
        }
      }
    }
    return false;
  }

  public static Whitelist parse(SignedDocument document) {
    String[] lines = document.bodyText().split("\n");
    if (lines.length < 4 || lines[0].length() != 14 || lines[1].length() != 15 || lines[1].charAt(0) != 'E'
        || !lines[2].startsWith("N")) {
      throw new IllegalArgumentException("malformed whitelist");
    }
    List<String> fingerprints = new ArrayList<>();
    for (int i = 3; i < lines.length; i++) {
      if (!lines[i].equals("Vpkcs7") && !lines[i].equals("Wcachain")) {
        fingerprints.add(lines[i]);
      }
    }
    return new Whitelist(parseStamp(lines[0]), parseStamp(lines[1].substring(1)), lines[2].substring(1), fingerprints);
  }

  /**
   * The fingerprint line of a certificate: digest of its DER, uppercase hex pairs joined by
   * {@code :}, plus the uppercase algorithm identifier for non-SHA-1 algorithms (format.md 4).
   */
  public static String fingerprint(X509Certificate certificate, HashAlgorithm algorithm) {
    byte[] der;
    try {
      der = certificate.getEncoded();
    } catch (CertificateEncodingException e) {
      throw new IllegalArgumentException("certificate cannot be encoded: " + e.getMessage(), e);
    }
    byte[] digest = algorithm.hash(der).digest();
    HexFormat pairs = HexFormat.ofDelimiter(":").withUpperCase();
    return pairs.formatHex(digest) + algorithm.identifier().toUpperCase(Locale.ROOT);
  }

  private static Instant parseStamp(String stamp) {
    try {
      return LocalDateTime.parse(stamp, DateTimeFormatter.ofPattern("yyyyMMddHHmmss")).toInstant(ZoneOffset.UTC);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("malformed whitelist time stamp '" + stamp + "'", e);
    }
  }
}
