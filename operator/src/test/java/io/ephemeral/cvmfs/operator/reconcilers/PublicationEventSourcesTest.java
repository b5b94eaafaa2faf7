package io.ephemeral.cvmfs.operator.reconcilers;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.ephemeral.cvmfs.operator.api.Condition;
import io.ephemeral.cvmfs.operator.api.CvmfsPublication;
import io.ephemeral.cvmfs.operator.api.CvmfsPublicationSpec;
import io.ephemeral.cvmfs.operator.api.CvmfsRepository;
import io.ephemeral.cvmfs.operator.api.CvmfsRepositorySpec;
import io.ephemeral.cvmfs.operator.api.CvmfsRepositoryStatus;
import io.ephemeral.cvmfs.operator.api.PublicationSource;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Which publications hear of a repository or a Secret, and which repository changes they hear of. */
class PublicationEventSourcesTest {

  private static final List<CvmfsPublication> PUBLICATIONS = List.of(
      publication("ci", "a1", "alpha"), publication("ci", "a2", "alpha"), publication("ci", "b1", "beta"),
      publication("other", "a3", "alpha"), publication("ci", "invalid", null));
  /** The primary cache's index, as the framework keeps it. */
  private static final Function<String, List<CvmfsPublication>> INDEX = key -> PUBLICATIONS.stream()
      .filter(p -> PublicationEventSources.indexKeys(p).contains(key)).toList();

  private static CvmfsPublication publication(String namespace, String name, String repository) {
    CvmfsPublication publication = new CvmfsPublication();
    publication.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(namespace).build());
    publication.setSpec(new CvmfsPublicationSpec(repository, "p/" + name,
        new PublicationSource(null, "http://example.org/x.tar.gz", null, null, null, null), null, "1h", null, null));
    return publication;
  }

  private static CvmfsRepository repository(String namespace, String name) {
    CvmfsRepository repository = new CvmfsRepository();
    repository.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(namespace).withGeneration(1L).build());
    repository.setSpec(CvmfsRepositorySpec.defaults().withFqrn(name + ".example.org"));
    return repository;
  }

  private static Secret secret(String namespace, String name, String ownerKind, String owner, Boolean controller) {
    ObjectMetaBuilder metadata = new ObjectMetaBuilder().withName(name).withNamespace(namespace);
    if (owner != null) {
      metadata.withOwnerReferences(new OwnerReferenceBuilder().withApiVersion("cvmfs.ephemeral.io/v1")
          .withKind(ownerKind).withName(owner).withUid("u").withController(controller).build());
    }
    return new SecretBuilder().withMetadata(metadata.build()).withData(Map.of("token", "eA==")).build();
  }

  private static Set<ResourceID> ids(String namespace, String... names) {
    return Stream.of(names).map(n -> new ResourceID(n, namespace)).collect(Collectors.toSet());
  }

  static Stream<Arguments> repositories() {
    return Stream.of(
        Arguments.of("two publications name it", repository("ci", "alpha"), ids("ci", "a1", "a2")),
        Arguments.of("the same name elsewhere", repository("other", "alpha"), ids("other", "a3")),
        Arguments.of("nobody names it", repository("ci", "gamma"), Set.of()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("repositories")
  void aRepositoryMapsToThePublicationsNamingIt(String name, CvmfsRepository repository, Set<ResourceID> expected) {
    assertEquals(expected, PublicationEventSources.publicationsOf(repository, INDEX));
  }

  static Stream<Arguments> secrets() {
    return Stream.of(
        Arguments.of("the token", secret("ci", "alpha-token", "CvmfsRepository", "alpha", true), ids("ci", "a1", "a2")),
        Arguments.of("the keys", secret("ci", "alpha-keys", "CvmfsRepository", "alpha", true), Set.of()),
        Arguments.of("no owner", secret("ci", "alpha-token", null, null, null), Set.of()),
        Arguments.of("not the controller", secret("ci", "alpha-token", "CvmfsRepository", "alpha", false), Set.of()),
        Arguments.of("another kind of owner", secret("ci", "alpha-token", "Deployment", "alpha", true), Set.of()),
        Arguments.of("a token in another namespace", secret("other", "alpha-token", "CvmfsRepository", "alpha", true),
            ids("other", "a3")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("secrets")
  void aTokenSecretMapsToItsRepositorysPublications(String name, Secret secret, Set<ResourceID> expected) {
    assertEquals(expected, PublicationEventSources.publicationsOfToken(secret, INDEX));
  }

  @Test
  void aPublicationMapsToItsRepositoryAndToken() {
    CvmfsPublication publication = publication("ci", "a1", "alpha");
    assertEquals(ids("ci", "alpha"), PublicationEventSources.repositoryOf(publication));
    assertEquals(ids("ci", "alpha-token"), PublicationEventSources.tokenSecretOf(publication));
    CvmfsPublication invalid = publication("ci", "invalid", null);
    assertEquals(Set.of(), PublicationEventSources.repositoryOf(invalid));
    assertEquals(Set.of(), PublicationEventSources.tokenSecretOf(invalid));
    assertEquals(List.of(), PublicationEventSources.indexKeys(invalid));
  }

  private static CvmfsRepository withReady(CvmfsRepository repository, Condition.Status ready, long revision) {
    repository.setStatus(CvmfsRepositoryStatus.carriedOver(null).revision(revision).conditions(ready == null
        ? List.of() : List.of(new Condition("Ready", ready, 1L, "2026-01-01T00:00:00Z", "R", "m " + revision)))
        .build());
    return repository;
  }

  static Stream<Arguments> repositoryChanges() {
    CvmfsRepository notReady = withReady(repository("ci", "alpha"), Condition.Status.False, 1);
    CvmfsRepository respec = withReady(repository("ci", "alpha"), Condition.Status.False, 1);
    respec.getMetadata().setGeneration(2L);
    CvmfsRepository deleting = withReady(repository("ci", "alpha"), Condition.Status.False, 1);
    deleting.getMetadata().setDeletionTimestamp("2026-01-01T00:00:00Z");
    return Stream.of(
        Arguments.of("turns Ready", notReady, withReady(repository("ci", "alpha"), Condition.Status.True, 1), true),
        Arguments.of("stops being Ready", withReady(repository("ci", "alpha"), Condition.Status.True, 1),
            withReady(repository("ci", "alpha"), Condition.Status.False, 1), true),
        Arguments.of("gets its first status", repository("ci", "alpha"), notReady, true),
        Arguments.of("a new spec", notReady, respec, true),
        Arguments.of("its deletion starts", notReady, deleting, true),
        Arguments.of("only a new revision", withReady(repository("ci", "alpha"), Condition.Status.True, 1),
            withReady(repository("ci", "alpha"), Condition.Status.True, 2), false),
        Arguments.of("nothing", notReady, withReady(repository("ci", "alpha"), Condition.Status.False, 1), false));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("repositoryChanges")
  void onlyChangesThatMatterReachPublications(String name, CvmfsRepository before, CvmfsRepository after,
      boolean matters) {
    assertEquals(matters, PublicationEventSources.mattersToPublications(after, before));
    assertEquals(matters, PublicationEventSources.mattersToPublications(before, after), "either way round");
  }
}
