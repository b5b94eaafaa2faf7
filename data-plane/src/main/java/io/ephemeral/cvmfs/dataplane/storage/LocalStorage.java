package io.ephemeral.cvmfs.dataplane.storage;

import java.nio.file.Path;
import java.util.Optional;

/** A repository kept in the working directory alone: nothing to restore or save elsewhere. */
record LocalStorage(ObjectStore objects, String describe) implements RepositoryStorage {

  @Override
  public boolean isRemote() {
    return false;
  }

  @Override
  public void restore(Path stateDirectory, Path served) {}

  @Override
  public void saveServed(String name, byte[] content) {}

  @Override
  public void saveState(String name, Path snapshot) {}

  @Override
  public Optional<String> writer() {
    return Optional.empty();
  }

  @Override
  public void close() {}
}
