package io.ephemeral.cvmfs.dataplane.client;

import com.fasterxml.jackson.databind.JsonNode;
import io.ephemeral.cvmfs.dataplane.api.JsonResponses;
import java.io.IOException;
import java.util.Optional;

/**
 * One answer of the API.
 *
 * @param status the HTTP status
 * @param body the body as text, JSON when the server answered
 * @param retryAfterSeconds the {@code Retry-After} the server asked for, if any
 */
public record ApiResponse(int status, String body, Optional<Long> retryAfterSeconds, Optional<String> location) {

  public ApiResponse(int status, String body, Optional<Long> retryAfterSeconds) {
    this(status, body, retryAfterSeconds, Optional.empty());
  }

  public boolean ok() {
    return status / 100 == 2;
  }

  /** Worth sending again: a timeout, too many requests, or a gateway or server that is (for now) away. */
  public boolean transientFailure() {
    return status == 408 || status == 429 || status == 502 || status == 503 || status == 504;
  }

  public JsonNode json() throws IOException {
    return JsonResponses.JSON.readTree(body);
  }

  /** The failure as the server put it: {@code STATUS CODE: DETAIL}, or the status and body when it is no API error. */
  public String describeFailure() {
    try {
      JsonNode json = json();
      if (json != null && json.hasNonNull("detail")) {
        String code = json.path("error").asText("");
        return status + (code.isEmpty() ? "" : " " + code) + ": " + json.get("detail").asText();
      }
    } catch (IOException notJson) {
      // said below as it came
    }
    String text = body.strip();
    return "HTTP " + status + (text.isEmpty() ? "" : ": " + (text.length() > 500 ? text.substring(0, 500) + "…" : text));
  }
}
