package io.ephemeral.cvmfs.operator.reconcilers;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.ephemeral.cvmfs.operator.api.CvmfsPublication;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.time.Duration;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** Backoff after failures and the looks at a running publish: doubling, capped, started over when settled. */
class PublicationPacingTest {

  private final PublicationPacing pacing = new PublicationPacing(Duration.ofSeconds(30));
  private final CvmfsPublication one = publication("one");
  private final CvmfsPublication other = publication("other");

  @Test
  void failuresInARowDoubleTheRetryIntervalUpToFiveMinutes() {
    assertEquals(List.of(30L, 60L, 120L, 240L, 300L, 300L), seconds(6, () -> pacing.afterFailure(one)));
    assertEquals(30, pacing.afterFailure(other).toSeconds(), "each publication counts its own failures");
    pacing.settled(one);
    assertEquals(30, pacing.afterFailure(one).toSeconds(), "a settled outcome starts over");
  }

  @Test
  void aRetryIntervalAboveTheCapIsKept() {
    PublicationPacing slow = new PublicationPacing(Duration.ofMinutes(7));
    assertEquals(List.of(420L, 420L), seconds(2, () -> slow.afterFailure(one)));
  }

  @Test
  void looksAtARunningPublishStartSoonAndSlowDownToTenSeconds() {
    assertEquals(List.of(250L, 500L, 1000L, 2000L, 4000L, 8000L, 10000L, 10000L),
        IntStream.range(0, 8).mapToObj(i -> pacing.whileRunning(one).toMillis()).toList());
    pacing.publishEnded(one);
    assertEquals(250, pacing.whileRunning(one).toMillis(), "the next publish is looked at soon again");
  }

  @Test
  void forgettingAPublicationDropsBothCounts() {
    pacing.afterFailure(one);
    pacing.whileRunning(one);
    pacing.forget(one);
    assertEquals(30, pacing.afterFailure(one).toSeconds());
    assertEquals(250, pacing.whileRunning(one).toMillis());
  }

  private static List<Long> seconds(int count, java.util.function.Supplier<Duration> next) {
    return IntStream.range(0, count).mapToObj(i -> next.get().toSeconds()).toList();
  }

  private static CvmfsPublication publication(String name) {
    CvmfsPublication publication = new CvmfsPublication();
    publication.setMetadata(new ObjectMetaBuilder().withNamespace("ns").withName(name).build());
    return publication;
  }
}
