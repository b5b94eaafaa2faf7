package io.ephemeral.cvmfs.dataplane.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class StorageConfigTest {

  @ParameterizedTest
  @CsvSource({
      "http://10.244.0.5:8080, http://10.244.0.5:8080",
      "http://fd00:10:244::5:8080, http://[fd00:10:244::5]:8080",
      "http://[fd00::5]:8080, http://[fd00::5]:8080",
      "http://writer.example.org:8080/prefix, http://writer.example.org:8080/prefix",
      "http://fd00::5:8080/prefix, http://[fd00::5]:8080/prefix",
      "http://writer, http://writer"})
  void anAdvertisedIpv6AddressGetsItsBrackets(String given, String advertised) {
    assertEquals(advertised, new StorageConfig(null, Duration.ofSeconds(30), given).advertiseUrl());
  }

  @Test
  void aBlankAdvertiseUrlMeansTheDefaultAndALeaseTermTooShortIsRefused() {
    assertNull(new StorageConfig(null, Duration.ofSeconds(30), " ").advertiseUrl());
    assertThrows(IllegalArgumentException.class, () -> new StorageConfig(null, Duration.ofMillis(10), null));
  }

  @Test
  void anS3UrlNamesBucketAndPrefix() {
    S3Settings settings = S3Settings.parse("s3://artifacts/cvmfs/", null, null, true, false);
    assertEquals("artifacts", settings.bucket());
    assertEquals("cvmfs", settings.prefix());
    assertEquals("cvmfs/state/x.example.org", settings.key("state/x.example.org"));
    assertThrows(IllegalArgumentException.class, () -> S3Settings.parse("s3://Bad_Bucket", null, null, true, false));
    assertThrows(IllegalArgumentException.class, () -> S3Settings.parse("http://bucket", null, null, true, false));
    assertThrows(IllegalArgumentException.class, () -> S3Settings.parse("s3://bucket/a/../b", null, null, true, false));
  }
}
