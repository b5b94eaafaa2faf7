package io.ephemeral.cvmfs.operator.reconcilers;

import io.ephemeral.cvmfs.operator.api.Condition;
import io.ephemeral.cvmfs.operator.api.CvmfsPublication;
import io.ephemeral.cvmfs.operator.api.CvmfsRepository;
import io.ephemeral.cvmfs.operator.dependents.RepositoryResources;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Secret;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * How a publication hears of its repository and of the repository's token Secret: both are
 * watched, read from the informers' caches, and a change that matters to publications (the
 * repository appears, goes, changes its spec, turns Ready or not; the token appears or changes)
 * reconciles every publication naming that repository in its namespace. Publications are
 * indexed by the repository they name, so that finding them does not scan them all.
 */
final class PublicationEventSources {

  static final String REPOSITORIES = "repositories";
  static final String TOKENS = "token-secrets";
  static final String BY_REPOSITORY = "by-repository";

  private PublicationEventSources() {
  }

  static List<EventSource<?, CvmfsPublication>> create(EventSourceContext<CvmfsPublication> context) {
    context.getPrimaryCache().addIndexer(BY_REPOSITORY, PublicationEventSources::indexKeys);
    Function<String, List<CvmfsPublication>> byIndex = key -> context.getPrimaryCache().byIndex(BY_REPOSITORY, key);
    InformerEventSource<CvmfsRepository, CvmfsPublication> repositories = new InformerEventSource<>(
        InformerEventSourceConfiguration.from(CvmfsRepository.class, CvmfsPublication.class)
            .withName(REPOSITORIES)
            .withNamespacesInheritedFromController()
            .withSecondaryToPrimaryMapper(repository -> publicationsOf(repository, byIndex))
            .withPrimaryToSecondaryMapper(PublicationEventSources::repositoryOf)
            .withOnUpdateFilter(PublicationEventSources::mattersToPublications)
            .build(), context);
    InformerEventSource<Secret, CvmfsPublication> tokens = new InformerEventSource<>(
        InformerEventSourceConfiguration.from(Secret.class, CvmfsPublication.class)
            .withName(TOKENS)
            .withNamespacesInheritedFromController()
            // Only Secrets this operator made: a token Secret always carries the label.
            .withLabelSelector(RepositoryResources.MANAGED_SELECTOR)
            .withSecondaryToPrimaryMapper(secret -> publicationsOfToken(secret, byIndex))
            .withPrimaryToSecondaryMapper(PublicationEventSources::tokenSecretOf)
            .withOnUpdateFilter((now, before) -> !Objects.equals(now.getData(), before.getData()))
            .build(), context);
    return List.of(repositories, tokens);
  }

  /** A publication's index key: the repository it names, in its own namespace. */
  static List<String> indexKeys(CvmfsPublication publication) {
    String repository = publication.getSpec() == null ? null : publication.getSpec().repository();
    return repository == null ? List.of() : List.of(key(publication.getMetadata().getNamespace(), repository));
  }

  static String key(String namespace, String repository) {
    return namespace + "/" + repository;
  }

  /** The publications naming a repository. */
  static Set<ResourceID> publicationsOf(CvmfsRepository repository,
      Function<String, List<CvmfsPublication>> byIndex) {
    return publications(repository.getMetadata().getNamespace(), repository.getMetadata().getName(), byIndex);
  }

  /**
   * The publications of the repository whose token this Secret is; none for any other Secret
   * (keys, master key), which publications do not read.
   */
  static Set<ResourceID> publicationsOfToken(Secret secret, Function<String, List<CvmfsPublication>> byIndex) {
    return owningRepository(secret)
        .filter(owner -> RepositoryResources.tokenSecret(owner).equals(secret.getMetadata().getName()))
        .map(owner -> publications(secret.getMetadata().getNamespace(), owner, byIndex))
        .orElse(Set.of());
  }

  private static Optional<String> owningRepository(HasMetadata owned) {
    List<OwnerReference> owners = owned.getMetadata().getOwnerReferences();
    return owners == null ? Optional.empty() : owners.stream()
        .filter(o -> Boolean.TRUE.equals(o.getController()) && "CvmfsRepository".equals(o.getKind())
            && o.getApiVersion() != null && o.getApiVersion().startsWith(CvmfsRepository.GROUP + "/"))
        .map(OwnerReference::getName)
        .findFirst();
  }

  private static Set<ResourceID> publications(String namespace, String repository,
      Function<String, List<CvmfsPublication>> byIndex) {
    return byIndex.apply(key(namespace, repository)).stream().map(ResourceID::fromResource)
        .collect(Collectors.toUnmodifiableSet());
  }

  /** The repository a publication names. */
  static Set<ResourceID> repositoryOf(CvmfsPublication publication) {
    String repository = publication.getSpec() == null ? null : publication.getSpec().repository();
    return repository == null ? Set.of() : Set.of(new ResourceID(repository, publication.getMetadata().getNamespace()));
  }

  /** The token Secret of the repository a publication names. */
  static Set<ResourceID> tokenSecretOf(CvmfsPublication publication) {
    String repository = publication.getSpec() == null ? null : publication.getSpec().repository();
    return repository == null ? Set.of() : Set.of(new ResourceID(RepositoryResources.tokenSecret(repository),
        publication.getMetadata().getNamespace()));
  }

  /**
   * Whether an update of a repository can change what its publications do: a new spec (its
   * maximum TTL), its deletion starting, or its Ready condition turning. Revision and condition
   * messages change with every publish and wake nobody.
   */
  static boolean mattersToPublications(CvmfsRepository now, CvmfsRepository before) {
    return !Objects.equals(now.getMetadata().getGeneration(), before.getMetadata().getGeneration())
        || !Objects.equals(now.getMetadata().getDeletionTimestamp(), before.getMetadata().getDeletionTimestamp())
        || ready(now) != ready(before);
  }

  private static Condition.Status ready(CvmfsRepository repository) {
    return repository.getStatus() == null ? null : repository.getStatus().conditions().stream()
        .filter(c -> CvmfsRepositoryReconciler.READY.equals(c.type()))
        .map(Condition::status)
        .findFirst().orElse(null);
  }
}
