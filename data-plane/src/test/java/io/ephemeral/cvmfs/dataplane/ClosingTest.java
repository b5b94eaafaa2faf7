package io.ephemeral.cvmfs.dataplane;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class ClosingTest {

  @Test
  void aStepThatSucceedsLeavesWhatWasOpenedOpen() throws IOException {
    AtomicBoolean closed = new AtomicBoolean();
    assertEquals("next", Closing.onFailure(() -> closed.set(true), () -> "next"));
    assertFalse(closed.get());
  }

  @Test
  void aStepThatFailsClosesWhatWasOpenedAndKeepsItsFailure() {
    IOException failure = new IOException("step");
    Exception closing = new Exception("close");
    IOException thrown = assertThrows(IOException.class, () -> Closing.onFailure(() -> {
      throw closing;
    }, () -> {
      throw failure;
    }));
    assertSame(failure, thrown);
    assertSame(closing, thrown.getSuppressed()[0]);
  }

  @Test
  void aRuntimeFailureClosesToo() {
    AtomicBoolean closed = new AtomicBoolean();
    assertThrows(IllegalStateException.class, () -> Closing.onFailure(() -> closed.set(true), () -> {
      throw new IllegalStateException();
    }));
    assertTrue(closed.get());
  }
}
