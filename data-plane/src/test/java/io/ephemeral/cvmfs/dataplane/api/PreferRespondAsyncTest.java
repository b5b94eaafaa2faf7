package io.ephemeral.cvmfs.dataplane.api;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The {@code Prefer} header as RFC 7240 writes it: tokens in any case, among others, with parameters. */
class PreferRespondAsyncTest {

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "respond-async|true",
      "RESPOND-ASYNC|true",
      "wait=10, respond-async|true",
      "respond-async; foo=bar|true",
      "return=minimal|false",
      "respond-asynchronously|false",
      "''|false"})
  void thePreferenceIsReadAsRfc7240Says(String prefer, boolean async) {
    assertEquals(async, ApiRoute.prefersAsync(new DefaultHttpHeaders().add("Prefer", prefer)));
  }
}
