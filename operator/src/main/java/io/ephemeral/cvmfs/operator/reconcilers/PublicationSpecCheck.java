package io.ephemeral.cvmfs.operator.reconcilers;

import io.ephemeral.cvmfs.common.publish.ImageReference;
import io.ephemeral.cvmfs.common.publish.Ttl;
import io.ephemeral.cvmfs.operator.api.CvmfsPublicationSpec;
import io.ephemeral.cvmfs.operator.api.Patterns;
import io.ephemeral.cvmfs.operator.api.PublicationSource;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** The publication schema's checks, made again here where no schema may stand guard. */
final class PublicationSpecCheck {

  private static final Pattern NAME = Pattern.compile(Patterns.NAME);
  private static final Pattern PATH = Pattern.compile(Patterns.PATH);
  private static final Pattern DURATION = Pattern.compile(Patterns.DURATION);
  private static final Pattern SHA256 = Pattern.compile(Patterns.SHA256);
  private static final Pattern PLATFORM = Pattern.compile(Patterns.PLATFORM);
  private static final Pattern URL = Pattern.compile(Patterns.HTTP_URL);
  private static final Pattern TAG = Pattern.compile(Patterns.TAG);
  /** Names cvmfs_server gives its own tags, which the data plane refuses. */
  private static final Set<String> RESERVED_TAGS = Set.of("trunk", "trunk-previous");
  private static final Pattern FORMAT = Pattern.compile("^(file|tar|tar\\.gz|tar\\.zst|docker-archive|oci-archive)$");

  private PublicationSpecCheck() {
  }

  static Optional<String> problem(CvmfsPublicationSpec spec) {
    if (spec == null || spec.repository() == null || spec.repository().length() > Patterns.MAX_NAME
        || !NAME.matcher(spec.repository()).matches()) {
      return Optional.of("repository must name a CvmfsRepository in the same namespace");
    }
    if (spec.path() == null || !PATH.matcher(spec.path()).matches()) {
      return Optional.of("path '" + spec.path() + "' is not a relative path of names (no leading /, no . or ..,"
          + " letters, digits and ._+@=,- only)");
    }
    String[] names = spec.path().split("/");
    if (spec.path().length() > Patterns.MAX_PATH_LENGTH || names.length > Patterns.MAX_PATH_DEPTH
        || Stream.of(names).anyMatch(n -> n.length() > Patterns.MAX_PATH_NAME)) {
      return Optional.of("path has at most " + Patterns.MAX_PATH_LENGTH + " characters and "
          + Patterns.MAX_PATH_DEPTH + " names of at most " + Patterns.MAX_PATH_NAME + " characters each");
    }
    PublicationSource source = spec.source();
    if (source == null || Stream.of(source.upload(), source.url(), source.image()).filter(s -> s != null).count() != 1) {
      return Optional.of("source must name exactly one of upload, url and image");
    }
    if (source.image() != null) {
      try {
        ImageReference.parse(source.image());
      } catch (IllegalArgumentException e) {
        return Optional.of("source." + e.getMessage());
      }
    }
    if (source.image() == null && (source.pullSecret() != null || source.platform() != null)) {
      return Optional.of("source.pullSecret and source.platform go with source.image");
    }
    if (source.platform() != null && !PLATFORM.matcher(source.platform()).matches()) {
      return Optional.of("source.platform must be os/architecture or os/architecture/variant, e.g. linux/arm64");
    }
    if (source.pullSecret() != null && (source.pullSecret().length() > Patterns.MAX_NAME
        || !NAME.matcher(source.pullSecret()).matches())) {
      return Optional.of("source.pullSecret must name a Secret in the same namespace");
    }
    if (source.url() != null && !URL.matcher(source.url()).matches()) {
      return Optional.of("source.url must be an http or https URL");
    }
    if (source.sha256() != null && (source.url() == null || !SHA256.matcher(source.sha256()).matches())) {
      return Optional.of("source.sha256 must be 64 lowercase hex digits and goes with source.url");
    }
    if (spec.ttl() != null) {
      if (!DURATION.matcher(spec.ttl()).matches()) {
        return Optional.of("ttl '" + spec.ttl() + "' is not a duration: use seconds or a number with s, m, h or d");
      }
      try {
        Ttl.parse(spec.ttl());
      } catch (IllegalArgumentException e) {
        return Optional.of(e.getMessage());
      }
    }
    if (spec.format() != null && !FORMAT.matcher(spec.format()).matches()) {
      return Optional.of("format must be file, tar, tar.gz, tar.zst, docker-archive or oci-archive");
    }
    if (spec.tag() != null && (!TAG.matcher(spec.tag()).matches() || RESERVED_TAGS.contains(spec.tag()))) {
      return Optional.of("tag '" + spec.tag() + "' is not a tag name: 1 to 128 letters, digits, . _ -, starting with"
          + " a letter or digit, and not trunk or trunk-previous");
    }
    return Optional.empty();
  }
}
