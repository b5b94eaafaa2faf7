package io.ephemeral.cvmfs.dataplane.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ephemeral.cvmfs.dataplane.api.InvalidParameterException.Problem;
import io.ephemeral.cvmfs.dataplane.api.QueryParameters.Parameter;
import io.ephemeral.cvmfs.dataplane.publish.PublishFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class QueryParametersTest {

  private static final Parameter<Boolean> DRY_RUN = QueryParameters.flag("dryRun");
  private static final Parameter<Long> TTL = QueryParameters.integer("ttl_s", 7200L);
  private static final Parameter<Long> REQUIRED = QueryParameters.integer("ttl_s", null);

  private static <T> T read(String query, Parameter<T> parameter) {
    return QueryParameters.parse(query).get(parameter);
  }

  @ParameterizedTest
  @CsvSource({"true,true", "TRUE,true", "1,true", "yes,true", "Yes,true",
      "false,false", "False,false", "0,false", "no,false", "NO,false"})
  void flagsAcceptExactlySixSpellingsInAnyCase(String text, boolean expected) {
    assertEquals(expected, read("dryRun=" + text, DRY_RUN));
  }

  @ParameterizedTest
  @ValueSource(strings = {"dryRun=banana", "dryRun=", "dryRun", "dryRun=on", "dryRun=t", "dryRun=2", "dryRun=+true",
      "dryRun=true%20"})
  void anythingElseIsRefusedNamingTheFlag(String query) {
    InvalidParameterException e = assertThrows(InvalidParameterException.class, () -> read(query, DRY_RUN));
    assertEquals("dryRun", e.name());
    assertEquals(Problem.MALFORMED, e.problem());
    assertEquals("dryRun must be one of true, false, 1, 0, yes, no", e.getMessage());
    assertEquals(400, e.error().status().code());
    assertEquals("invalid_parameter", e.error().code());
  }

  @Test
  void absentFlagsAreFalseAndOtherParametersAreIgnored() {
    assertEquals(false, read(null, DRY_RUN));
    assertEquals(false, read("", DRY_RUN));
    assertEquals(false, read("dryrun=true&cachebust=%C3%A9&x", DRY_RUN));
  }

  @Test
  void integersAreWholeNumbers() {
    assertEquals(600L, read("ttl_s=600", TTL));
    assertEquals(-5L, read("ttl_s=-5", TTL));
    assertEquals(7200L, read("other=1", TTL));
    for (String bad : new String[] {"1.5", "", "ten", "99999999999999999999", " 5"}) {
      InvalidParameterException e = assertThrows(InvalidParameterException.class,
          () -> read("ttl_s=" + bad.replace(" ", "%20"), TTL), bad);
      assertEquals("ttl_s must be an integer", e.getMessage());
    }
    InvalidParameterException missing = assertThrows(InvalidParameterException.class, () -> read("", REQUIRED));
    assertEquals(Problem.MISSING, missing.problem());
    assertEquals("ttl_s is required", missing.getMessage());
  }

  @Test
  void aRepeatedParameterMustMeanTheSameEachTime() {
    assertEquals(true, read("dryRun=1&dryRun=true&dryRun=YES", DRY_RUN));
    assertEquals(5L, read("ttl_s=5&ttl_s=05", TTL));
    InvalidParameterException e = assertThrows(InvalidParameterException.class, () -> read("dryRun=1&dryRun=0", DRY_RUN));
    assertEquals(Problem.CONFLICTING, e.problem());
    assertTrue(e.getMessage().contains("dryRun"), e.getMessage());
    assertThrows(InvalidParameterException.class, () -> read("dryRun=1&dryRun=banana", DRY_RUN));
  }

  @Test
  void choicesReportTheReadersMessage() {
    Parameter<PublishFormat> format = QueryParameters.of("format", "format", PublishFormat::fromQuery);
    assertEquals(PublishFormat.FILE, read("format=file", format));
    assertNull(read("", format));
    InvalidParameterException e = assertThrows(InvalidParameterException.class, () -> read("format=rar", format));
    assertTrue(e.getMessage().contains("unknown format 'rar'"), e.getMessage());
  }

  @Test
  void valuesAreDecodedAsUtf8WithPlusForSpace() {
    Parameter<String> text = QueryParameters.text("name");
    assertEquals("caf\u00e9 au lait+", read("name=caf%C3%A9+au%20lait%2B", text));
    assertEquals("", read("name", text));
  }

  @ParameterizedTest
  @ValueSource(strings = {"dryRun=%ff", "dryRun=%zz", "dryRun=%4", "dryRun=%", "%ff=1", "other=%C3", "other=%C0%AF"})
  void malformedOrNonUtf8EscapesAreRefusedNotReplaced(String query) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> QueryParameters.parse(query));
    assertTrue(e.getMessage().startsWith("invalid query"), e.getMessage());
  }
}
