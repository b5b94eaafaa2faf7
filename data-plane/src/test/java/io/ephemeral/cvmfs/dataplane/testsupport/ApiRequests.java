package io.ephemeral.cvmfs.dataplane.testsupport;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

/** Requests to the data plane's HTTP endpoints in tests: HTTP/1.1, as the clients in use speak it. */
public final class ApiRequests {

  public static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  private ApiRequests() {}

  /** Sends {@code request} with a bearer {@code token}, or without authorization if it is null. */
  public static HttpResponse<String> send(HttpRequest.Builder request, String token)
      throws IOException, InterruptedException {
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }
}
