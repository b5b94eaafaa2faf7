package io.ephemeral.cvmfs.operator.reconcilers;

import io.ephemeral.cvmfs.common.publish.Ttl;
import io.ephemeral.cvmfs.operator.api.CvmfsRepository;
import io.ephemeral.cvmfs.operator.api.CvmfsRepositorySpec;
import io.ephemeral.cvmfs.operator.api.ObjectStorage;
import io.ephemeral.cvmfs.operator.api.Patterns;
import io.ephemeral.cvmfs.operator.api.Storage;
import io.ephemeral.cvmfs.operator.dependents.RepositoryResources;
import io.fabric8.kubernetes.api.model.Secret;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * What the schema checks on a real API server, checked again here (the schema may be missing
 * or older), plus what a schema cannot say.
 */
final class RepositorySpecCheck {

  private static final Pattern FQRN = Pattern.compile(Patterns.FQRN);
  private static final Pattern DURATION = Pattern.compile(Patterns.DURATION);
  private static final Pattern BYTES = Pattern.compile(Patterns.BYTES);
  private static final Pattern CRON = Pattern.compile(Patterns.CRON);
  private static final Pattern BUCKET = Pattern.compile(Patterns.BUCKET);
  private static final Pattern KEY_PREFIX = Pattern.compile(Patterns.KEY_PREFIX);
  private static final Pattern HTTP_URL = Pattern.compile(Patterns.HTTP_URL);

  private RepositorySpecCheck() {
  }

  /** Why the spec cannot be acted on, or empty if it can. */
  static Optional<String> problem(CvmfsRepository repository, Optional<Secret> existingKeys) {
    CvmfsRepositorySpec spec = repository.getSpec();
    String fqrn = repository.fqrn();
    if (fqrn.length() > 253 || !FQRN.matcher(fqrn).matches()) {
      return Optional.of("fqrn '" + fqrn + "' is not a repository name: lowercase DNS labels joined by dots,"
          + " at least two, e.g. builds.example.org");
    }
    String keysFor = recorded(existingKeys, RepositoryResources.FQRN_ANNOTATION, fqrn);
    if (!keysFor.equals(fqrn)) {
      return Optional.of("fqrn is fixed once the repository exists: its keys are for " + keysFor + ", not " + fqrn);
    }
    String hashOfKeys = recorded(existingKeys, RepositoryResources.HASH_ANNOTATION, spec.hashAlgorithm().flag());
    if (!hashOfKeys.equals(spec.hashAlgorithm().flag())) {
      return Optional.of("hashAlgorithm is fixed once the repository exists: it is " + hashOfKeys);
    }
    String options = RepositoryResources.creationOptions(spec);
    String optionsOfData = recorded(existingKeys, RepositoryResources.CREATION_OPTIONS_ANNOTATION, options);
    if (!optionsOfData.equals(options)) {
      return Optional.of("compression, chunking and manifestTtl are fixed once the repository exists, as the data"
          + " plane keeps them with its data: they are " + optionsOfData + ", not " + options);
    }
    Optional<String> storage = storageProblem(spec);
    if (storage.isPresent()) {
      return storage;
    }
    for (String duration : new String[] {spec.manifestTtl(), spec.publications().defaultTtl(), spec.publications().maxTtl()}) {
      if (!DURATION.matcher(duration).matches()) {
        return Optional.of("'" + duration + "' is not a duration: use seconds or a number with s, m, h or d");
      }
    }
    for (String size : new String[] {spec.chunking().minSize(), spec.chunking().averageSize(), spec.chunking().maxSize(),
        spec.publications().maxFileSize()}) {
      if (!BYTES.matcher(size).matches()) {
        return Optional.of("'" + size + "' is not a size: use bytes or a number with KiB, MiB, GiB or TiB");
      }
    }
    if (Ttl.parse(spec.publications().defaultTtl()).compareTo(Ttl.parse(spec.publications().maxTtl())) > 0) {
      return Optional.of("publications.defaultTtl is longer than publications.maxTtl");
    }
    int days = spec.whitelist().validityDays();
    if (days < 1 || days > 365) {
      return Optional.of("whitelist.validityDays must be 1 to 365");
    }
    if (!CRON.matcher(spec.maintenance().schedule()).matches()) {
      return Optional.of("maintenance.schedule '" + spec.maintenance().schedule() + "' is not a cron schedule");
    }
    return Optional.empty();
  }

  private static Optional<String> storageProblem(CvmfsRepositorySpec spec) {
    ObjectStorage bucket = spec.storage().s3();
    if (spec.replicas() < 1) {
      return Optional.of("replicas must be at least 1");
    }
    if (spec.replicas() > 1 && bucket == null) {
      return Optional.of("replicas above 1 need storage.s3: replicas share the repository through the bucket, while a"
          + " data volume belongs to one data-plane process");
    }
    if (bucket == null) {
      return Optional.empty();
    }
    if (spec.storage().type() != Storage.Type.EMPTY_DIR) {
      return Optional.of("storage.s3 and type PersistentVolumeClaim exclude each other: with s3 the repository lives"
          + " in the bucket and the data volume is only scratch space, an emptyDir");
    }
    if (bucket.bucket() == null || !BUCKET.matcher(bucket.bucket()).matches()) {
      return Optional.of("storage.s3.bucket '" + bucket.bucket() + "' is not a bucket name: 3 to 63 lowercase letters,"
          + " digits, dots and hyphens");
    }
    if (bucket.prefix() != null && (!KEY_PREFIX.matcher(bucket.prefix()).matches() || bucket.prefix().contains("..")
        || bucket.prefix().length() > Patterns.MAX_KEY_PREFIX)) {
      return Optional.of("storage.s3.prefix '" + bucket.prefix() + "' is not a key prefix: names of letters, digits"
          + " and !_.*'()- joined by single slashes, without ..");
    }
    for (String url : new String[] {bucket.endpoint(), bucket.publicUrl()}) {
      if (url != null && !HTTP_URL.matcher(url).matches()) {
        return Optional.of("'" + url + "' is not an http or https URL");
      }
    }
    return Optional.empty();
  }

  /** What the keys Secret recorded under {@code annotation}; {@code current} where nothing is recorded yet. */
  private static String recorded(Optional<Secret> existingKeys, String annotation, String current) {
    return existingKeys.map(s -> s.getMetadata().getAnnotations()).map(a -> a.get(annotation)).orElse(current);
  }
}
