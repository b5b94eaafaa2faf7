package io.ephemeral.cvmfs.dataplane.publish.source;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class EntryPathsTest {

  @ParameterizedTest
  @CsvSource({
      "., ''",
      "./, ''",
      ".//./, ''",
      "a, a",
      "./a, a",
      "a/, a",
      "a//b, a/b",
      "./a/./b/., a/b",
      ".hidden/..dots/...three, .hidden/..dots/...three",
  })
  void normalises(String name, String expected) throws InvalidSourceException {
    assertEquals(expected, EntryPaths.normalize(name, "member"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "/", "/a", "..", "../a", "a/..", "a/../b", "./..", "a\0b"})
  void refuses(String name) {
    assertThrows(InvalidSourceException.class, () -> EntryPaths.normalize(name, "member"));
  }

  @Test
  void measuresComponentsInUtf8Bytes() throws InvalidSourceException {
    String fits = "ü".repeat(127) + "x"; // 255 bytes
    assertEquals(fits, EntryPaths.normalize("d/" + fits, "member").substring(2));
    assertThrows(InvalidSourceException.class, () -> EntryPaths.normalize("ü".repeat(128), "member"));
  }

  @Test
  void quotesControlCharacters() {
    assertEquals("'a\\x0ab\\x00'", EntryPaths.quote("a\nb\0"));
  }

  @Test
  void ordersByCodePoint() {
    List<String> names = new ArrayList<>(List.of("\uffff", "😀", "b", "a", "ab", "B"));
    names.sort(EntryPaths.CODE_POINT_ORDER);
    assertEquals(List.of("B", "a", "ab", "b", "\uffff", "😀"), names);
    assertTrue("😀".compareTo("\uffff") < 0, "UTF-16 order differs, which is why the comparator exists");
  }
}
