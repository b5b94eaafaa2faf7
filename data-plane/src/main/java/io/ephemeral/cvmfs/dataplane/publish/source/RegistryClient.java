package io.ephemeral.cvmfs.dataplane.publish.source;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ephemeral.cvmfs.common.publish.ImageReference;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads manifests and blobs of one image repository over the OCI distribution API (the registry
 * HTTP API v2). Authentication follows the registry's {@code WWW-Authenticate} challenge: basic
 * credentials, or a bearer token fetched from the realm it names (with the basic credentials,
 * when there are any). Transient failures (connection errors, 429 and 5xx) are retried a few times
 * with a growing pause. Everything fetched is checked against the digest that named it.
 */
final class RegistryClient {

  /** The username and password for a registry. */
  record Credentials(String username, String password) {
    String basic() {
      return "Basic " + Base64.getEncoder().encodeToString((username + ":" + password).getBytes(StandardCharsets.UTF_8));
    }
  }

  /** A manifest or index as the registry served it: its bytes, media type and digest. */
  record Document(JsonNode json, String mediaType, String digest) {}

  static final String MANIFEST_TYPES = String.join(", ",
      "application/vnd.oci.image.index.v1+json",
      "application/vnd.oci.image.manifest.v1+json",
      "application/vnd.docker.distribution.manifest.list.v2+json",
      "application/vnd.docker.distribution.manifest.v2+json");
  private static final Pattern DIGEST = Pattern.compile("(sha256):([a-f0-9]{64})|(sha512):([a-f0-9]{128})");
  private static final Pattern CHALLENGE_PARAMETER = Pattern.compile("([A-Za-z_]+)\\s*=\\s*(?:\"([^\"]*)\"|([^,\\s]*))");
  private static final int ATTEMPTS = 4;
  private static final int MAX_REDIRECTS = 5;
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newBuilder()
      .followRedirects(HttpClient.Redirect.NEVER)
      .connectTimeout(Duration.ofSeconds(30))
      .build();

  private final ImageReference image;
  private final Credentials credentials;
  private final Duration backoff;
  private String authorization;
  private boolean authenticated;

  RegistryClient(ImageReference image, Credentials credentials, Duration backoff) {
    this.image = image;
    this.credentials = credentials;
    this.backoff = backoff;
  }

  /**
   * The manifest or index {@code reference} (a tag or a digest) names, held to
   * {@link ImageManifests#MAX_JSON_BYTES}; when {@code digest} is given, checked against it.
   */
  Document manifest(String reference, String digest, String name) throws IOException {
    URI uri = image.apiBase().resolve(image.name() + "/manifests/" + reference);
    HttpResponse<InputStream> response = get(uri, MANIFEST_TYPES, name);
    byte[] bytes;
    try (InputStream body = response.body()) {
      bytes = body.readNBytes((int) ImageManifests.MAX_JSON_BYTES + 1);
    }
    if (bytes.length > ImageManifests.MAX_JSON_BYTES) {
      throw new InvalidSourceException(name + " is larger than the limit of " + ImageManifests.MAX_JSON_BYTES
          + " bytes");
    }
    String actual = "sha256:" + HexFormat.of().formatHex(digest("sha256").digest(bytes));
    if (digest != null) {
      Matcher named = digestPattern(digest, name);
      String algorithm = named.group(1) != null ? named.group(1) : named.group(3);
      String hex = HexFormat.of().formatHex(digest(algorithm).digest(bytes));
      if (!(algorithm + ":" + hex).equals(digest)) {
        throw new InvalidSourceException(name + " does not match its digest: the registry served "
            + bytes.length + " bytes hashing to " + algorithm + ":" + hex + ", not " + digest);
      }
      actual = digest;
    }
    String mediaType = response.headers().firstValue("Content-Type").orElse("").split(";")[0].strip();
    return new Document(ImageManifests.parse(new String(bytes, StandardCharsets.UTF_8), name), mediaType, actual);
  }

  /**
   * Downloads the blob a descriptor names to {@code file}, checking digest and size while it
   * arrives; every byte is counted by {@code budget}, which may refuse it.
   */
  void blob(JsonNode descriptor, Path file, String name, SpoolBudget budget) throws IOException {
    String digest = ImageManifests.digestOf(descriptor, name);
    Matcher named = digestPattern(digest, name);
    String algorithm = named.group(1) != null ? named.group(1) : named.group(3);
    long declared = descriptor.path("size").canConvertToLong() ? descriptor.path("size").asLong() : -1;
    URI uri = image.apiBase().resolve(image.name() + "/blobs/" + digest);
    for (int attempt = 1; ; attempt++) {
      long[] counted = {0};
      try {
        download(uri, file, name, digest, algorithm, declared, bytes -> {
          budget.add(bytes);
          counted[0] += bytes;
        });
        return;
      } catch (InvalidSourceException e) {
        throw e;
      } catch (IOException e) {
        budget.add(-counted[0]);
        if (attempt == ATTEMPTS) {
          throw new SourceUnavailableException("cannot fetch " + name + " of image " + image + ": " + e, e);
        }
        pause(attempt);
      }
    }
  }

  private void download(URI uri, Path file, String name, String digest, String algorithm, long declared,
      SpoolBudget budget) throws IOException {
    MessageDigest hash = digest(algorithm);
    long size = 0;
    HttpResponse<InputStream> response = get(uri, "*/*", name);
    byte[] buffer = new byte[64 * 1024];
    try (InputStream body = response.body(); OutputStream out = Files.newOutputStream(file)) {
      for (int n; (n = body.read(buffer)) >= 0; ) {
        size += n;
        if (declared >= 0 && size > declared) {
          throw new InvalidSourceException(name + " is longer than the " + declared + " bytes its descriptor says");
        }
        budget.add(n);
        hash.update(buffer, 0, n);
        out.write(buffer, 0, n);
      }
    }
    String actual = algorithm + ":" + HexFormat.of().formatHex(hash.digest());
    if (!actual.equals(digest)) {
      throw new InvalidSourceException(name + " does not match its digest: the registry served " + size
          + " bytes hashing to " + actual);
    }
    if (declared >= 0 && size != declared) {
      throw new InvalidSourceException(name + " has " + size + " bytes, its descriptor says " + declared);
    }
  }

  /** Counts the bytes spooled from the registry, and refuses them past a limit; a failed attempt is taken back. */
  @FunctionalInterface
  interface SpoolBudget {
    void add(long bytes) throws IOException;
  }

  /** A GET answered 2xx, after authentication, retries and redirects; anything else is thrown. */
  private HttpResponse<InputStream> get(URI uri, String accept, String name) throws IOException {
    URI target = uri;
    for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
      boolean sameRegistry = target.getAuthority().equals(uri.getAuthority());
      HttpResponse<InputStream> response = send(target, accept, sameRegistry);
      int status = response.statusCode();
      if (status == 401 && sameRegistry && !authenticated) {
        String challenge = response.headers().firstValue("WWW-Authenticate").orElse("");
        discard(response);
        authenticate(challenge);
        response = send(target, accept, true);
        status = response.statusCode();
      }
      if (status / 100 == 2) {
        return response;
      }
      discard(response);
      if (status / 100 == 3 && response.headers().firstValue("Location").isPresent()) {
        target = target.resolve(response.headers().firstValue("Location").get());
        continue;
      }
      if (status == 401 || status == 403) {
        throw refused("HTTP " + status);
      }
      if (status == 404) {
        throw new SourceUnavailableException("registry " + image.registry() + " has no " + name
            + (name.startsWith("image ") ? "" : " of image " + image) + " (HTTP 404)");
      }
      throw new SourceUnavailableException("fetching " + name + " of " + image + " from " + target
          + " answered HTTP " + status);
    }
    throw new SourceUnavailableException("fetching " + name + " of " + image + ": more than " + MAX_REDIRECTS
        + " redirects");
  }

  /** Sends a GET, retrying connection failures, 429 and 5xx; the last answer is returned whatever it is. */
  private HttpResponse<InputStream> send(URI uri, String accept, boolean withAuthorization) throws IOException {
    HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(Duration.ofMinutes(5)).GET()
        .header("Accept", accept);
    if (withAuthorization && authorization != null) {
      request.header("Authorization", authorization);
    }
    for (int attempt = 1; ; attempt++) {
      try {
        HttpResponse<InputStream> response = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
        int status = response.statusCode();
        if ((status == 429 || status / 100 == 5) && attempt < ATTEMPTS) {
          discard(response);
          pause(attempt);
          continue;
        }
        return response;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("interrupted while fetching " + uri);
      } catch (IOException e) {
        if (attempt == ATTEMPTS) {
          throw new SourceUnavailableException("cannot fetch image " + image + ": registry unreachable at " + uri
              + ": " + e, e);
        }
        pause(attempt);
      }
    }
  }

  /** Answers a {@code WWW-Authenticate} challenge: basic credentials, or a bearer token from its realm. */
  private void authenticate(String challenge) throws IOException {
    authenticated = true;
    String scheme = challenge.strip().split("\\s+", 2)[0].toLowerCase(Locale.ROOT);
    if (credentials == null && !scheme.equals("bearer")) {
      throw refused("it asks for credentials and none were given");
    }
    if (scheme.equals("basic")) {
      authorization = credentials.basic();
      return;
    }
    if (!scheme.equals("bearer")) {
      throw refused("it asks for " + (scheme.isEmpty() ? "an unnamed authentication" : scheme) + ", which is not supported");
    }
    Map<String, String> parameters = new LinkedHashMap<>();
    Matcher parameter = CHALLENGE_PARAMETER.matcher(challenge.strip().substring(scheme.length()));
    while (parameter.find()) {
      parameters.put(parameter.group(1).toLowerCase(Locale.ROOT),
          parameter.group(2) != null ? parameter.group(2) : parameter.group(3));
    }
    String realm = parameters.get("realm");
    if (realm == null) {
      throw refused("its bearer challenge names no realm");
    }
    List<String> query = new ArrayList<>();
    for (String key : List.of("service", "scope")) {
      if (parameters.containsKey(key)) {
        query.add(key + "=" + URLEncoder.encode(parameters.get(key), StandardCharsets.UTF_8));
      }
    }
    if (!parameters.containsKey("scope")) {
      query.add("scope=" + URLEncoder.encode("repository:" + image.name() + ":pull", StandardCharsets.UTF_8));
    }
    URI tokenUri = URI.create(realm + (realm.contains("?") ? "&" : "?") + String.join("&", query));
    HttpRequest.Builder request = HttpRequest.newBuilder(tokenUri).timeout(Duration.ofMinutes(1)).GET();
    if (credentials != null) {
      request.header("Authorization", credentials.basic());
    }
    HttpResponse<byte[]> response;
    try {
      response = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while fetching a token from " + realm);
    } catch (IOException e) {
      throw new SourceUnavailableException("cannot fetch a token for registry " + image.registry() + " from "
          + realm + ": " + e, e);
    }
    if (response.statusCode() == 401 || response.statusCode() == 403) {
      throw refused("its token service answered HTTP " + response.statusCode());
    }
    if (response.statusCode() / 100 != 2) {
      throw new SourceUnavailableException("the token service of registry " + image.registry() + " answered HTTP "
          + response.statusCode());
    }
    JsonNode body;
    try {
      body = JSON.readTree(response.body());
    } catch (IOException e) {
      throw new SourceUnavailableException("the token service of registry " + image.registry()
          + " answered no JSON", e);
    }
    String token = body.path("token").asText(body.path("access_token").asText(""));
    if (token.isEmpty()) {
      throw new SourceUnavailableException("the token service of registry " + image.registry()
          + " answered no token");
    }
    authorization = "Bearer " + token;
  }

  private SourceUnavailableException refused(String why) {
    return new SourceUnavailableException("registry refused credentials"
        + (credentials == null ? "" : " of user " + credentials.username()) + " for image " + image + ": " + why);
  }

  private static Matcher digestPattern(String digest, String name) throws InvalidSourceException {
    Matcher matcher = DIGEST.matcher(digest);
    if (!matcher.matches()) {
      throw new InvalidSourceException(name + ": '" + digest
          + "' is not a sha256 or sha512 digest in lowercase hex");
    }
    return matcher;
  }

  private static MessageDigest digest(String algorithm) {
    try {
      return MessageDigest.getInstance(algorithm.equals("sha512") ? "SHA-512" : "SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private void pause(int attempt) throws InterruptedIOException {
    try {
      Thread.sleep(backoff.toMillis() << (attempt - 1));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while waiting to retry " + image);
    }
  }

  private static void discard(HttpResponse<InputStream> response) {
    try {
      response.body().close();
    } catch (IOException e) {
      // The connection is dropped; nothing else to do.
    }
  }
}
