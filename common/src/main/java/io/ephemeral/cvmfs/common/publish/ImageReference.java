package io.ephemeral.cvmfs.common.publish;

import java.net.URI;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * A reference to an image in a registry: {@code [http://|https://]REGISTRY/NAME[:TAG][@sha256:HEX]},
 * as {@code docker pull} takes it. Without a registry (the first component has no {@code .} or
 * {@code :} and is not {@code localhost}) it is Docker Hub, where a one-component name lives under
 * {@code library/}. Without a tag it is {@code latest}; with a digest the digest names the
 * manifest and the tag is only informative.
 *
 * <p>The registry is reached over https, except with an {@code http://} prefix or on
 * {@code localhost}, {@code 127.0.0.1} or {@code [::1]} (any port), which default to http.
 *
 * @param registry the registry's host and port as written, {@code docker.io} for Docker Hub
 * @param scheme {@code http} or {@code https}
 * @param name the repository within the registry, e.g. {@code library/debian}
 * @param tag the tag, {@code latest} when none was written
 * @param digest {@code sha256:HEX}, or null
 */
public record ImageReference(String registry, String scheme, String name, String tag, String digest) {

  /** Docker Hub as references name it; its API is served elsewhere. */
  public static final String DOCKER_HUB = "docker.io";
  private static final String DOCKER_HUB_API = "registry-1.docker.io";
  private static final Pattern COMPONENT = Pattern.compile("[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*");
  private static final Pattern TAG = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");
  private static final Pattern DIGEST = Pattern.compile("sha256:[a-f0-9]{64}");
  private static final Pattern HOST = Pattern.compile("(?:[A-Za-z0-9.-]+|\\[[0-9A-Fa-f:]+])(?::[0-9]{1,5})?");

  /** Parses a reference; throws {@link IllegalArgumentException} naming what is wrong. */
  public static ImageReference parse(String text) {
    if (text == null || text.isBlank()) {
      throw new IllegalArgumentException("image reference is empty");
    }
    String rest = text.strip();
    String scheme = null;
    for (String prefix : new String[] {"http://", "https://"}) {
      if (rest.regionMatches(true, 0, prefix, 0, prefix.length())) {
        scheme = prefix.substring(0, prefix.length() - 3).toLowerCase(Locale.ROOT);
        rest = rest.substring(prefix.length());
      }
    }
    String digest = null;
    int at = rest.indexOf('@');
    if (at >= 0) {
      digest = rest.substring(at + 1);
      rest = rest.substring(0, at);
      if (!DIGEST.matcher(digest).matches()) {
        throw invalid(text, "the digest must be sha256: and 64 lowercase hex digits");
      }
    }
    String tag = "latest";
    int colon = rest.lastIndexOf(':');
    if (colon > rest.lastIndexOf('/')) {
      tag = rest.substring(colon + 1);
      rest = rest.substring(0, colon);
      if (!TAG.matcher(tag).matches()) {
        throw invalid(text, "the tag '" + tag + "' is not a valid tag");
      }
    }
    int slash = rest.indexOf('/');
    String first = slash < 0 ? "" : rest.substring(0, slash);
    String registry;
    String name;
    if (slash > 0 && (first.contains(".") || first.contains(":") || first.equals("localhost") || first.startsWith("["))) {
      registry = first.toLowerCase(Locale.ROOT);
      name = rest.substring(slash + 1);
      if (!HOST.matcher(registry).matches()) {
        throw invalid(text, "the registry '" + first + "' is not a host with an optional port");
      }
    } else if (scheme != null) {
      throw invalid(text, "an http:// or https:// prefix needs a registry host");
    } else {
      registry = DOCKER_HUB;
      name = rest.contains("/") ? rest : "library/" + rest;
    }
    if (name.length() > 255) {
      throw invalid(text, "the name is longer than 255 characters");
    }
    for (String component : name.split("/", -1)) {
      if (!COMPONENT.matcher(component).matches()) {
        throw invalid(text, "the name '" + name + "' must be lowercase components of letters and digits separated"
            + " by /, with . _ __ or - between letters and digits");
      }
    }
    if (scheme == null) {
      scheme = isLoopback(registry) ? "http" : "https";
    }
    return new ImageReference(registry, scheme, name, tag, digest);
  }

  private static boolean isLoopback(String registry) {
    String host = registry.startsWith("[") ? registry.substring(0, registry.indexOf(']') + 1)
        : registry.replaceFirst(":[0-9]+$", "");
    return host.equals("localhost") || host.equals("127.0.0.1") || host.equals("[::1]");
  }

  private static IllegalArgumentException invalid(String text, String why) {
    return new IllegalArgumentException("image '" + text + "' is not a valid reference: " + why);
  }

  /** Whether credentials stored for {@code key} (a host, host:port or URL, as Docker keeps them) are this registry's. */
  public boolean matchesRegistry(String key) {
    String host = key.strip().replaceFirst("(?i)^https?://", "").replaceFirst("/.*$", "").toLowerCase(Locale.ROOT);
    if (registry.equals(DOCKER_HUB)) {
      return host.equals(DOCKER_HUB) || host.equals("index.docker.io") || host.equals(DOCKER_HUB_API);
    }
    return host.equals(registry);
  }

  /** What the manifest is asked for by: the digest when there is one, else the tag. */
  public String reference() {
    return digest != null ? digest : tag;
  }

  /** The base of the registry's HTTP API, e.g. {@code http://127.0.0.1:5000/v2/}. */
  public URI apiBase() {
    return URI.create(scheme + "://" + (registry.equals(DOCKER_HUB) ? DOCKER_HUB_API : registry) + "/v2/");
  }

  @Override
  public String toString() {
    return registry + "/" + name + ":" + tag + (digest != null ? "@" + digest : "");
  }
}
