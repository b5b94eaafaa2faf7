package io.ephemeral.cvmfs.dataplane.publish;

import io.ephemeral.cvmfs.common.format.ContentHash;
import io.ephemeral.cvmfs.common.format.ObjectKind;
import io.ephemeral.cvmfs.dataplane.format.CatalogCounters;
import io.ephemeral.cvmfs.dataplane.format.CatalogReader;
import io.ephemeral.cvmfs.dataplane.format.CatalogWriter;
import io.ephemeral.cvmfs.dataplane.format.Chunk;
import io.ephemeral.cvmfs.dataplane.format.DirectoryEntry;
import io.ephemeral.cvmfs.dataplane.repository.Publication;
import io.ephemeral.cvmfs.dataplane.repository.Repository;
import io.ephemeral.cvmfs.dataplane.storage.ObjectStore;
import io.ephemeral.cvmfs.dataplane.storage.StoredObject;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.UUID;
import java.util.zip.InflaterInputStream;

/**
 * A live publication's content published again at another path, without its source: the same
 * objects, renewed so that a collection running now keeps them, and only the nested catalog
 * written anew, since its rows are keyed by full path (format.md 7.3). Re-publishing known bytes
 * so costs one catalog, whatever the size of the content.
 */
final class PublicationCopy {

  private final Repository repository;

  PublicationCopy(Repository repository) {
    this.repository = repository;
  }

  /** {@code from}'s content ready to be committed at {@code path}, a normalised {@code /a/b}. */
  IngestedPublication copy(Publication from, String path) throws IOException {
    if (from.isFile()) {
      DirectoryEntry row = from.file();
      long reused = renew(row);
      return new IngestedPublication(path, null, 0, null, row.withPathAndFlags(path, row.flags()),
          CatalogCounters.ZERO, from.files(), from.bytes(), 0, reused, from.source());
    }
    Path original = repository.scratch().resolve("copied-" + UUID.randomUUID() + ".db");
    Path rewritten = repository.scratch().resolve("catalog-" + UUID.randomUUID() + ".db");
    try {
      ObjectStore objects = repository.objects();
      try (InputStream in = new InflaterInputStream(objects.open(from.catalog(), ObjectKind.CATALOG))) {
        Files.copy(in, original);
      }
      long reused = 0;
      CatalogCounters self;
      CatalogWriter writer = CatalogWriter.create(rewritten);
      try (CatalogReader reader = CatalogReader.open(original)) {
        DirectoryEntry root = reader.lookup(from.path())
            .orElseThrow(() -> new IOException("the catalog of " + from.path() + " has no root row"));
        writer.add(root.withPathAndFlags(path, root.flags()));
        Deque<String> directories = new ArrayDeque<>();
        directories.push(from.path());
        while (!directories.isEmpty()) {
          for (DirectoryEntry entry : reader.list(directories.pop())) {
            writer.add(entry.withPathAndFlags(path + entry.path().substring(from.path().length()), entry.flags()));
            if (entry.isDirectory()) {
              directories.push(entry.path());
            } else if (entry.isRegular()) {
              reused += renew(entry);
            }
          }
        }
        self = writer.selfCounters();
        writer.finish(PublicationIngest.properties(path, repository.clock().instant().getEpochSecond()),
            CatalogCounters.ZERO);
      } finally {
        writer.close();
      }
      StoredObject catalog = objects.putCompressedFile(rewritten, ObjectKind.CATALOG, repository.options().hash());
      return new IngestedPublication(path, catalog.hash(), catalog.size(), from.root(), null, self, from.files(),
          from.bytes(), catalog.written() ? 1 : 0, reused, from.source());
    } finally {
      Files.deleteIfExists(original);
      Files.deleteIfExists(rewritten);
    }
  }

  /** Renews a file's objects; one that is missing fails the copy rather than publishing a hole. */
  private long renew(DirectoryEntry file) throws IOException {
    if (file.chunks().isEmpty()) {
      requirePresent(file.hash(), ObjectKind.FILE, file.path());
      return 1;
    }
    for (Chunk chunk : file.chunks()) {
      requirePresent(chunk.hash(), ObjectKind.CHUNK, file.path());
    }
    return file.chunks().size();
  }

  private void requirePresent(ContentHash hash, ObjectKind kind, String path) throws IOException {
    if (!repository.objects().renew(hash, kind)) {
      throw new IOException("an object of " + path + " is missing from the store: " + hash);
    }
  }
}
