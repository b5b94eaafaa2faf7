package io.ephemeral.cvmfs.dataplane.storage;

import io.ephemeral.cvmfs.dataplane.repository.DataLayout;
import java.io.IOException;

/** Where this process keeps its repositories: the data directory itself, or object storage. */
public interface StorageBackend extends AutoCloseable {

  /** The data directory alone, as a stratum 0's web server serves it. */
  StorageBackend LOCAL = new StorageBackend() {
    @Override
    public RepositoryStorage open(DataLayout layout, String fqrn) throws IOException {
      return new LocalStorage(new LocalObjectStore(layout.served(fqrn)).initialize(), layout.served(fqrn).toString());
    }

    @Override
    public void close() {}
  };

  /** Opens {@code fqrn}'s storage, taking whatever makes this process its only writer. */
  RepositoryStorage open(DataLayout layout, String fqrn) throws IOException;

  @Override
  void close() throws IOException;
}
