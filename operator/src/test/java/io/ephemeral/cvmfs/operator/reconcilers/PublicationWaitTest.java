package io.ephemeral.cvmfs.operator.reconcilers;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.ephemeral.cvmfs.operator.api.Condition;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** One Warning event per wait: which earlier Published conditions mean a wait is already going on. */
class PublicationWaitTest {

  @ParameterizedTest(name = "after {0}/{1}/{2}: a wait begins = {3}")
  @CsvSource({
      "none, , , true",
      "Published, False, InvalidSpec, true",
      "Published, True, Published, true",
      "Published, False, RepositoryNotFound, false",
      "Published, False, RepositoryNotReady, false",
      "Published, False, DataPlaneUnavailable, false",
      "Published, True, DataPlaneUnavailable, false",
      "Published, False, SourceUnavailable, false",
      "PathRemoved, False, DataPlaneUnavailable, true",
  })
  void aWaitBeginsUnlessThePublishedConditionAlreadyWaits(String type, String status, String reason, boolean begins) {
    List<Condition> conditions = type.equals("none") ? List.of()
        : new Conditions(null, 1L, Instant.EPOCH).set(type, Boolean.parseBoolean(status), reason, "m").list();
    assertEquals(begins, CvmfsPublicationReconciler.waitBegins(conditions));
  }
}
