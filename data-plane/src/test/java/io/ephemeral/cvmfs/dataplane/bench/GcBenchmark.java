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
import io.ephemeral.cvmfs.dataplane.storage.S3Bucket;
import io.ephemeral.cvmfs.dataplane.storage.S3Settings;
import io.ephemeral.cvmfs.dataplane.storage.StorageBackend;
import io.ephemeral.cvmfs.dataplane.storage.StorageConfig;
import io.ephemeral.cvmfs.dataplane.storage.StoredObject;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The garbage collection benchmark. {@code build DIR OBJECTS} writes OBJECTS tiny object files
 * straight into a new repository, dated a day back, and publishes catalogs referencing half of
 * them; {@code collect DIR} runs one collection with a zero grace period and prints its result
 * and the peak heap. Run the two in separate JVMs so that the peak is the collection's own.
 *
 * <p>With {@code S3URL ENDPOINT} after those arguments the repository is kept in that bucket
 * (path-style, credentials from the environment), which must be an S3Proxy whose filesystem store
 * keeps the bucket in {@code BUCKET_DIRECTORY} (the last argument of {@code build}): the objects
 * go into that directory as files carrying the extended attributes S3Proxy gives an object it
 * receives by PUT, so that it lists them as it would uploaded ones, while the catalogs, state and
 * manifest go up through the S3 API. A PUT per object would take longer than the collection.
 * {@code list S3URL ENDPOINT} times a bare listing of the objects through the S3 API: the
 * store's own part of a collection.
 */
public final class GcBenchmark {

  private static final String FQRN = "gcbench.example.org";
  private static final int ENTRIES_PER_CATALOG = 50_000;
  // The extended attribute S3Proxy keeps an object's MD5 (its entity tag) in, as the Java view names it.
  private static final String MD5_ATTRIBUTE = "user.content-md5";

  private GcBenchmark() {}

  public static void main(String[] args) throws Exception {
    switch (args[0]) {
      case "build" -> build(Path.of(args[1]), Long.parseLong(args[2]),
          args.length > 3 ? s3(args[3], args[4]) : null, args.length > 5 ? Path.of(args[5]) : null);
      case "collect" -> collect(Path.of(args[1]), args.length > 2 ? s3(args[2], args[3]) : null);
      case "list" -> list(s3(args[1], args[2]));
      default -> throw new IllegalArgumentException("usage: build DIR OBJECTS [S3URL ENDPOINT BUCKET_DIRECTORY]"
          + " | collect DIR [S3URL ENDPOINT] | list S3URL ENDPOINT");
    }
  }

  private static S3Settings s3(String url, String endpoint) {
    return S3Settings.parse(url, URI.create(endpoint), null, true, false);
  }

  private static StorageBackend connect(S3Settings s3) throws IOException {
    return s3 == null ? StorageBackend.LOCAL : StorageConfig.s3(s3).connect();
  }

  /** Puts one object file with its content in place, dated a day back. */
  @FunctionalInterface
  private interface ObjectWriter {
    void write(ContentHash hash, byte[] content) throws IOException;
  }

  private static void build(Path dir, long objects, S3Settings s3, Path bucketDirectory) throws Exception {
    long started = System.nanoTime();
    FileTime dayAgo = FileTime.from(Instant.now().minus(Duration.ofDays(1)));
    try (StorageBackend storage = connect(s3);
        ObjectPipeline pipeline = ObjectPipeline.forThisMachine();
        Publisher publisher =
            Publisher.start(Repository.at(new DataLayout(dir), FQRN).storage(storage).open(), pipeline)) {
      Repository repository = publisher.repository();
      ObjectWriter writer;
      if (s3 == null) {
        writer = (hash, content) -> {
          Path object = repository.served().resolve(hash.objectPath(ObjectKind.FILE));
          Files.write(object, content);
          Files.setLastModifiedTime(object, dayAgo);
        };
      } else {
        writer = s3Writer(s3, bucketDirectory, dayAgo);
      }
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
        writer.write(hash, content);
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

  /**
   * Writes objects as files into S3Proxy's directory of the bucket, with the extended attributes
   * S3Proxy gave a reference object uploaded through the S3 API (its own MD5 for each), and checks
   * that S3Proxy answers for the first one with the entity tag it would give an upload.
   */
  private static ObjectWriter s3Writer(S3Settings s3, Path bucketDirectory, FileTime dayAgo) throws Exception {
    String reference = s3.key(FQRN + "/bench-reference-object");
    Map<String, byte[]> attributes = new LinkedHashMap<>();
    try (S3Bucket bucket = S3Bucket.connect(s3)) {
      bucket.put(reference, new byte[32], S3Bucket.Exposure.SERVED_OBJECT);
      UserDefinedFileAttributeView view =
          Files.getFileAttributeView(bucketDirectory.resolve(reference), UserDefinedFileAttributeView.class);
      for (String name : view.list()) {
        ByteBuffer value = ByteBuffer.allocate(view.size(name));
        view.read(name, value);
        attributes.put(name, value.array());
      }
      bucket.delete(List.of(reference));
    }
    if (!attributes.containsKey(MD5_ATTRIBUTE)) {
      throw new IOException("S3Proxy kept no " + MD5_ATTRIBUTE + " with an uploaded object, but " + attributes.keySet()
          + ": this S3Proxy stores objects differently; the benchmark needs updating");
    }
    Path data = bucketDirectory.resolve(s3.key(FQRN)).resolve("data");
    for (int i = 0; i < 256; i++) {
      Files.createDirectories(data.resolve(String.format("%02x", i)));
    }
    MessageDigest md5 = MessageDigest.getInstance("MD5");
    boolean[] checked = {false};
    return (hash, content) -> {
      Path object = bucketDirectory.resolve(s3.key(FQRN)).resolve(hash.objectPath(ObjectKind.FILE));
      Files.write(object, content);
      UserDefinedFileAttributeView view = Files.getFileAttributeView(object, UserDefinedFileAttributeView.class);
      for (Map.Entry<String, byte[]> attribute : attributes.entrySet()) {
        byte[] value = attribute.getKey().equals(MD5_ATTRIBUTE) ? md5.digest(content) : attribute.getValue();
        view.write(attribute.getKey(), ByteBuffer.wrap(value));
      }
      Files.setLastModifiedTime(object, dayAgo);
      if (!checked[0]) {
        checkEntityTag(s3, s3.key(FQRN + "/" + hash.objectPath(ObjectKind.FILE)), md5Hex(content));
        checked[0] = true;
      }
    };
  }

  private static void checkEntityTag(S3Settings s3, String key, String expected) throws IOException {
    try (S3Bucket bucket = S3Bucket.connect(s3)) {
      String etag = bucket.etag(key).orElseThrow(() -> new IOException("S3Proxy does not see " + key));
      if (!etag.replace("\"", "").equals(expected)) {
        throw new IOException("S3Proxy gives " + key + " the entity tag " + etag + ", not its MD5 " + expected);
      }
    }
  }

  private static String md5Hex(byte[] content) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(content));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void collect(Path dir, S3Settings s3) throws IOException {
    try (StorageBackend storage = connect(s3);
        Repository repository = Repository.at(new DataLayout(dir), FQRN).storage(storage).open()) {
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
      if (s3 != null) {
        System.out.println("s3 requests: " + S3RequestCounter.counts());
      }
    }
  }

  private static void list(S3Settings s3) throws IOException {
    long started = System.nanoTime();
    long[] objects = {0};
    long[] pages = {0};
    // Prefix by prefix, as the collector lists them.
    try (S3Bucket bucket = S3Bucket.connect(s3)) {
      for (int shard = 0; shard < 256; shard++) {
        bucket.list(s3.key(FQRN) + "/data/" + HexFormat.of().toHexDigits((byte) shard) + "/", page -> {
          objects[0] += page.size();
          pages[0]++;
        });
      }
    }
    System.out.printf("list: %d objects in %d pages, %.1f s%n", objects[0], pages[0],
        (System.nanoTime() - started) / 1e9);
  }
}
