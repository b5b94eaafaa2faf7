package io.ephemeral.cvmfs.dataplane.http;

import io.ephemeral.cvmfs.dataplane.repository.PublishToken;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.Map;
import java.util.Optional;

/**
 * Decides whether a request may write to a repository: it must carry {@code Authorization:
 * Bearer <token>} with that repository's token. Reading never needs a token.
 */
public final class WriteAuthorizer {

  private final Map<String, PublishToken> tokens;

  public WriteAuthorizer(Map<String, PublishToken> tokens) {
    this.tokens = Map.copyOf(tokens);
  }

  /** Empty when allowed; otherwise the status to answer with: 404 unknown repository, 401 no token, 403 wrong token. */
  public Optional<HttpResponseStatus> check(HttpRequest request, String fqrn) {
    PublishToken token = tokens.get(fqrn);
    if (token == null) {
      return Optional.of(HttpResponseStatus.NOT_FOUND);
    }
    String header = request.headers().get(HttpHeaderNames.AUTHORIZATION);
    if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return Optional.of(HttpResponseStatus.UNAUTHORIZED);
    }
    return token.matches(header.substring(7)) ? Optional.empty() : Optional.of(HttpResponseStatus.FORBIDDEN);
  }

  public boolean knows(String fqrn) {
    return tokens.containsKey(fqrn);
  }
}
