package io.ephemeral.cvmfs.operator.reconcilers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ephemeral.cvmfs.operator.api.Condition;
import io.ephemeral.cvmfs.operator.api.CvmfsPublication;
import io.ephemeral.cvmfs.operator.api.CvmfsPublicationStatus.Phase;
import io.ephemeral.cvmfs.operator.api.CvmfsPublicationStatus;
import io.ephemeral.cvmfs.operator.api.CvmfsRepository;
import io.ephemeral.cvmfs.operator.api.CvmfsRepositorySpec;
import io.ephemeral.cvmfs.operator.api.CvmfsRepositoryStatus;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The status builders' carry-over and when, and with what, the recorder patches. */
class StatusRecorderTest {

  private static final List<Condition> CONDITIONS = List.of(new Condition("Ready", Condition.Status.True, 2L,
      "2026-01-01T00:00:00Z", "Serving", "served"));
  private static final CvmfsRepositoryStatus REPOSITORY = new CvmfsRepositoryStatus(CONDITIONS, 2L, "a.example.org",
      9L, "http://a/cvmfs/a.example.org", "http://a-notify:4929/api/v1", "AA:BB", "2026-02-01T00:00:00Z", "s3://b/p/a.example.org", "a-7d9f-x");
  private static final CvmfsPublicationStatus PUBLICATION = new CvmfsPublicationStatus(Phase.Published, 4L,
      "2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z", 2L, 11L, "published in revision 4", null, CONDITIONS, 3L);

  static Stream<Arguments> repositoryCarryOver() {
    return Stream.of(
        // case, previous, change, expected
        Arguments.of("nothing to carry", null, (UnaryOperator<CvmfsRepositoryStatus.Builder>) b -> b,
            new CvmfsRepositoryStatus(null, null, null, null, null, null, null, null, null, null)),
        Arguments.of("everything carried", REPOSITORY, (UnaryOperator<CvmfsRepositoryStatus.Builder>) b -> b,
            REPOSITORY),
        Arguments.of("one field changed", REPOSITORY,
            (UnaryOperator<CvmfsRepositoryStatus.Builder>) b -> b.revision(10L).writer("a-5c4b-y"),
            new CvmfsRepositoryStatus(CONDITIONS, 2L, "a.example.org", 10L, "http://a/cvmfs/a.example.org",
                "http://a-notify:4929/api/v1", "AA:BB", "2026-02-01T00:00:00Z", "s3://b/p/a.example.org", "a-5c4b-y")),
        Arguments.of("fields cleared", REPOSITORY,
            (UnaryOperator<CvmfsRepositoryStatus.Builder>) b -> b.repositoryUrl(null).notificationUrl(null)
                .conditions(null),
            new CvmfsRepositoryStatus(List.of(), 2L, "a.example.org", 9L, null, null, "AA:BB",
                "2026-02-01T00:00:00Z", "s3://b/p/a.example.org", "a-7d9f-x")),
        Arguments.of("set on nothing", null,
            (UnaryOperator<CvmfsRepositoryStatus.Builder>) b -> b.fqrn("b.example.org").observedGeneration(1L),
            new CvmfsRepositoryStatus(null, 1L, "b.example.org", null, null, null, null, null, null, null)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("repositoryCarryOver")
  void repositoryStatusCarriesOver(String name, CvmfsRepositoryStatus previous,
      UnaryOperator<CvmfsRepositoryStatus.Builder> change, CvmfsRepositoryStatus expected) {
    assertEquals(expected, change.apply(CvmfsRepositoryStatus.carriedOver(previous)).build());
  }

  static Stream<Arguments> publicationCarryOver() {
    return Stream.of(
        Arguments.of("nothing to carry", null, (UnaryOperator<CvmfsPublicationStatus.Builder>) b -> b,
            new CvmfsPublicationStatus(null, null, null, null, null, null, null, null, null, null)),
        Arguments.of("everything carried", PUBLICATION, (UnaryOperator<CvmfsPublicationStatus.Builder>) b -> b,
            PUBLICATION),
        Arguments.of("a wait keeps what was published", PUBLICATION,
            (UnaryOperator<CvmfsPublicationStatus.Builder>) b -> b.message("waiting").observedGeneration(4L),
            new CvmfsPublicationStatus(Phase.Published, 4L, "2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z", 2L, 11L,
                "waiting", null, CONDITIONS, 4L)),
        Arguments.of("a failure before anything was published", null,
            (UnaryOperator<CvmfsPublicationStatus.Builder>) b -> b.phase(Phase.Failed).message("no"),
            new CvmfsPublicationStatus(Phase.Failed, null, null, null, null, null, "no", null, null, null)),
        Arguments.of("a new publication", PUBLICATION,
            (UnaryOperator<CvmfsPublicationStatus.Builder>) b -> b.revision(5L).publishedAt("2026-01-03T00:00:00Z")
                .expiresAt("2026-01-04T00:00:00Z").files(3L).bytes(12L).phase(Phase.Published),
            new CvmfsPublicationStatus(Phase.Published, 5L, "2026-01-03T00:00:00Z", "2026-01-04T00:00:00Z", 3L, 12L,
                "published in revision 4", null, CONDITIONS, 3L)),
        Arguments.of("a publish under way", PUBLICATION,
            (UnaryOperator<CvmfsPublicationStatus.Builder>) b -> b.phase(Phase.Publishing).operation("0f1e")
                .message("publishing"),
            new CvmfsPublicationStatus(Phase.Publishing, 4L, "2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z", 2L, 11L,
                "publishing", "0f1e", CONDITIONS, 3L)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("publicationCarryOver")
  void publicationStatusCarriesOver(String name, CvmfsPublicationStatus previous,
      UnaryOperator<CvmfsPublicationStatus.Builder> change, CvmfsPublicationStatus expected) {
    assertEquals(expected, change.apply(CvmfsPublicationStatus.carriedOver(previous)).build());
  }

  @Test
  void anUnchangedStatusIsNotWritten() {
    var recorder = new StatusRecorder<CvmfsPublication, CvmfsPublicationStatus>(CvmfsPublication::new,
        StatusRecorder.Concurrency.LAST_WRITE_WINS);
    CvmfsPublication publication = publication();
    assertFalse(recorder.update(publication, PUBLICATION).isPatchStatus());
    assertFalse(recorder.updateOnError(publication, PUBLICATION).getResource().isPresent());
    assertSame(publication, recorder.writeNow(null, publication, PUBLICATION), "no request for an unchanged status");
    CvmfsPublicationStatus changed = CvmfsPublicationStatus.carriedOver(PUBLICATION).message("other").build();
    assertTrue(recorder.update(publication, changed).isPatchStatus());
    assertTrue(recorder.updateOnError(publication, changed).getResource().isPresent());
  }

  @Test
  void lastWriteWinsSendsNameAndNamespaceOnly() {
    var recorder = new StatusRecorder<CvmfsPublication, CvmfsPublicationStatus>(CvmfsPublication::new,
        StatusRecorder.Concurrency.LAST_WRITE_WINS);
    CvmfsPublicationStatus changed = CvmfsPublicationStatus.carriedOver(PUBLICATION).message("other").build();
    CvmfsPublication body = recorder.update(publication(), changed).getResource().orElseThrow();
    assertEquals("p", body.getMetadata().getName());
    assertEquals("ns", body.getMetadata().getNamespace());
    assertNull(body.getMetadata().getResourceVersion(), "a patch that does not lock on a cached version");
    assertNull(body.getSpec());
    assertEquals(changed, body.getStatus());
  }

  @Test
  void optimisticSendsTheVersionItWasComputedFrom() {
    var recorder = new StatusRecorder<CvmfsRepository, CvmfsRepositoryStatus>(CvmfsRepository::new,
        StatusRecorder.Concurrency.OPTIMISTIC);
    CvmfsRepository repository = new CvmfsRepository();
    repository.setMetadata(new ObjectMetaBuilder().withName("r").withNamespace("ns").withResourceVersion("41")
        .withGeneration(2L).build());
    repository.setSpec(CvmfsRepositorySpec.defaults().withFqrn("a.example.org"));
    repository.setStatus(REPOSITORY);
    CvmfsRepositoryStatus changed = CvmfsRepositoryStatus.carriedOver(REPOSITORY).revision(10L).build();
    CvmfsRepository body = recorder.update(repository, changed).getResource().orElseThrow();
    assertEquals("41", body.getMetadata().getResourceVersion());
    assertEquals(repository.getSpec(), body.getSpec());
    assertEquals(changed, body.getStatus());
    assertSame(REPOSITORY, repository.getStatus(), "the object read is left as it was");
  }

  private static CvmfsPublication publication() {
    CvmfsPublication publication = new CvmfsPublication();
    publication.setMetadata(new ObjectMetaBuilder().withName("p").withNamespace("ns").withResourceVersion("7")
        .build());
    publication.setStatus(PUBLICATION);
    return publication;
  }
}
