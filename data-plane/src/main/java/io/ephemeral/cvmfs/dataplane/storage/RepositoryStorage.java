package io.ephemeral.cvmfs.dataplane.storage;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Where one repository is kept. The process always works in a local directory (its state
 * database, scratch space and the top-level files it serves); a remote storage is the durable
 * home those are saved to and restored from, and holds the objects.
 */
public interface RepositoryStorage extends AutoCloseable {

  ObjectStore objects();

  /** Whether the working directory is saved elsewhere, so that state changes must be handed to {@link #saveState}. */
  boolean isRemote();

  /**
   * Brings the durable copy of the state and of the top-level files into the working directory,
   * replacing what is there; called before anything there is opened.
   */
  void restore(Path stateDirectory, Path served) throws IOException;

  /** Saves a top-level file of the served tree whose working copy was just replaced. */
  void saveServed(String name, byte[] content) throws IOException;

  /** Saves {@code snapshot}, a consistent copy of the state file {@code name}. */
  void saveState(String name, Path snapshot) throws IOException;

  /** The name this process writes under where others may follow it (its lease); empty for a directory. */
  Optional<String> writer();

  /** Where this is, for messages: a directory or an {@code s3://} URL. */
  String describe();

  @Override
  void close() throws IOException;
}
