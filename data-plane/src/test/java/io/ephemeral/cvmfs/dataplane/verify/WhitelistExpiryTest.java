package io.ephemeral.cvmfs.dataplane.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.ephemeral.cvmfs.common.format.SignedDocument;
import io.ephemeral.cvmfs.common.format.Whitelist;
import io.ephemeral.cvmfs.dataplane.testsupport.Fixtures;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** An expired whitelist cannot be forged without the master key, so expiry is checked here. */
class WhitelistExpiryTest {

  @Test
  void clientExpiryIsTheStartOfTheExpiryHour() {
    Whitelist whitelist = parse("20241018100107\nE20241117100107\nNrepo.example.org\nAB:CD\n");
    assertEquals(Instant.parse("2024-11-17T10:01:07Z"), whitelist.expires());
    assertEquals(Instant.parse("2024-11-17T10:00:00Z"), whitelist.clientExpiry());
  }

  @Test
  void expiryOnTheHourIsUnchanged() {
    Whitelist whitelist = parse("20241018100107\nE20241117100000\nNrepo.example.org\nAB:CD\n");
    assertEquals(Instant.parse("2024-11-17T10:00:00Z"), whitelist.clientExpiry());
  }

  @Test
  void referenceWhitelistExpiresAtSevenOClock() throws IOException {
    byte[] file = Files.readAllBytes(Fixtures.referenceTree().resolve(".cvmfswhitelist"));
    Whitelist whitelist = Whitelist.parse(SignedDocument.parse(file));
    assertEquals(Instant.parse("2036-11-22T07:54:47Z"), whitelist.expires());
    assertEquals(Instant.parse("2036-11-22T07:00:00Z"), whitelist.clientExpiry());
    assertEquals(Fixtures.REFERENCE_FQRN, whitelist.fqrn());
  }

  private static Whitelist parse(String body) {
    byte[] bytes = body.getBytes(StandardCharsets.US_ASCII);
    return Whitelist.parse(new SignedDocument(bytes, "0".repeat(40), new byte[0]));
  }
}
