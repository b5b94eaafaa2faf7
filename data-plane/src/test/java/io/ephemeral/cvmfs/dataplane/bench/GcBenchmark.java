package io.ephemeral.cvmfs.dataplane.bench;

import io.ephemeral.cvmfs.common.format.ContentHash;
import io.ephemeral.cvmfs.common.format.HashAlgorithm;
import io.ephemeral.cvmfs.common.format.ObjectKind;
import io.ephemeral.cvmfs.dataplane.format.CatalogCounters;
import io.ephemeral.cvmfs.dataplane.format.CatalogWriter;
import io.ephemeral.cvmfs.dataplane.format.Compression;
import io.ephemeral.cvmfs.dataplane.format.DirectoryEntry;
import io.ephemeral.cvmfs.dataplane.format.EntryFlags;
import io.ephemeral.cvmfs.dataplane.maintenance.GarbageCollector;
import io.ephemeral.cvmfs.dataplane.maintenance.GcResult;
import io.ephemeral.cvmfs.dataplane.publish.IngestedPublication;
import io.ephemeral.cvmfs.dataplane.publish.ObjectPipeline;
import io.ephemeral.cvmfs.dataplane.publish.Publisher;
import io.ephemeral.cvmfs.dataplane.repository.DataLayout;
import io.ephemeral.cvmfs.dataplane.repository.Publication;
import io.ephemeral.cvmfs.dataplane.repository.Repository;
import io.ephemeral.cvmfs.dataplane.storage.StoredObject;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The garbage collection benchmark. {@code build DIR OBJECTS} writes OBJECTS tiny object files
 * straight into a new repository, dated a day back, and publishes catalogs referencing half of
 * them; {@code collect DIR} runs one collection with a zero grace period and prints its result
 * and the peak heap. Run the two in separate JVMs so that the peak is the collection's own.
 */
public final class GcBenchmark {

  private static final String FQRN = "gcbench.example.org";
  private static final int ENTRIES_PER_CATALOG = 50_000;

  private GcBenchmark() {}

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[1]);
    switch (args[0]) {
      case "build" -> build(dir, Long.parseLong(args[2]));
      case "collect" -> collect(dir);
      default -> throw new IllegalArgumentException("usage: build DIR OBJECTS | collect DIR");
    }
  }

  private static void build(Path dir, long objects) throws IOException {
    long started = System.nanoTime();
    try (ObjectPipeline pipeline = ObjectPipeline.forThisMachine();
        Publisher publisher = Publisher.start(Repository.at(new DataLayout(dir), FQRN).open(), pipeline)) {
      Repository repository = publisher.repository();
      Path data = repository.served().resolve("data");
      FileTime dayAgo = FileTime.from(Instant.now().minus(Duration.ofDays(1)));
      Random random = new Random(1);
      byte[] digest = new byte[20];
      byte[] content = new byte[32];
      long referenced = objects / 2;
      long now = Instant.now().getEpochSecond();
      CatalogWriter catalog = null;
      Path catalogFile = null;
      String publicationPath = null;
      for (long i = 0; i < objects; i++) {
        random.nextBytes(digest);
        random.nextBytes(content);
        ContentHash hash = new ContentHash(HashAlgorithm.SHA1, digest);
        Path object = repository.served().resolve(hash.objectPath(ObjectKind.FILE));
        Files.write(object, content);
        Files.setLastModifiedTime(object, dayAgo);
        if (i >= referenced) {
          continue;
        }
        if (catalog == null) {
          publicationPath = "/bench/p" + (i / ENTRIES_PER_CATALOG);
          catalogFile = repository.scratch().resolve("bench-catalog.db");
          Files.deleteIfExists(catalogFile);
          catalog = CatalogWriter.create(catalogFile);
          catalog.add(DirectoryEntry.directory(publicationPath, 0755, now, 0, 0, 2, EntryFlags.NESTED_ROOT));
        }
        catalog.add(DirectoryEntry.regular(publicationPath + "/f" + i, 0644, content.length, now, 0, 0,
            HashAlgorithm.SHA1, Compression.ZLIB, hash, List.of()));
        if ((i + 1) % ENTRIES_PER_CATALOG == 0 || i + 1 == referenced) {
          CatalogCounters self = catalog.selfCounters();
          catalog.finish(Map.of("revision", "1", "last_modified", Long.toString(now), "root_prefix", publicationPath),
              CatalogCounters.ZERO);
          catalog.close();
          StoredObject stored = repository.objects().putCompressedFile(catalogFile, ObjectKind.CATALOG, HashAlgorithm.SHA1);
          Files.delete(catalogFile);
          long files = (i % ENTRIES_PER_CATALOG) + 1;
          publisher.committer().add(new IngestedPublication(publicationPath, stored.hash(), stored.size(),
              new Publication.RootMetadata(0755, now, 0, 0, 2), null, self, files, files * content.length, files, 0, null),
              null, false).join();
          catalog = null;
        }
      }
    }
    System.out.printf("built %d objects (%d referenced) in %d s%n", objects, objects / 2,
        Duration.ofNanos(System.nanoTime() - started).toSeconds());
  }

  private static void collect(Path dir) throws IOException {
    try (Repository repository = Repository.at(new DataLayout(dir), FQRN).open()) {
      GcResult result = new GarbageCollector(repository, Duration.ZERO).collect(false);
      long peak = 0;
      for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
        if (pool.getType() == MemoryType.HEAP) {
          peak += pool.getPeakUsage().getUsed();
        }
      }
      System.out.println(result);
      System.out.printf("gc: %d objects freed, %d kept, %.1f s, peak heap %d MiB (max %d MiB)%n", result.objectsFreed(),
          result.objectsKept(), result.durationMs() / 1000.0, peak >> 20, Runtime.getRuntime().maxMemory() >> 20);
    }
  }
}
