package io.ephemeral.cvmfs.dataplane.http;

import io.netty.handler.codec.DateFormatter;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import java.time.Duration;
import java.util.Date;

/**
 * The headers of a response carrying repository content, with one caching time. They follow the
 * Apache configuration of {@code cvmfs_server}: no {@code Last-Modified}, no {@code ETag}.
 */
final class ContentHeaders {

  private final String cacheControl;
  private final long maxAgeMillis;

  ContentHeaders(Duration maxAge) {
    this.cacheControl = "max-age=" + maxAge.toSeconds();
    this.maxAgeMillis = maxAge.toSeconds() * 1000;
  }

  /** Sets the headers of a body of {@code length} bytes of {@code contentType}. */
  void apply(HttpHeaders headers, String contentType, long length) {
    long now = System.currentTimeMillis();
    headers
        .set(HttpHeaderNames.CONTENT_TYPE, contentType)
        .set(HttpHeaderNames.CONTENT_LENGTH, length)
        .set(HttpHeaderNames.ACCEPT_RANGES, HttpHeaderValues.BYTES)
        .set(HttpHeaderNames.CACHE_CONTROL, cacheControl)
        .set(HttpHeaderNames.DATE, DateFormatter.format(new Date(now)))
        .set(HttpHeaderNames.EXPIRES, DateFormatter.format(new Date(now + maxAgeMillis)));
  }
}
