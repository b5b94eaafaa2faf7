package io.ephemeral.cvmfs.dataplane.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ephemeral.cvmfs.common.format.ContentHash;
import io.ephemeral.cvmfs.common.format.HashAlgorithm;
import io.ephemeral.cvmfs.common.format.ObjectKind;
import io.ephemeral.cvmfs.dataplane.format.Chunk;
import io.ephemeral.cvmfs.dataplane.format.DirectoryEntry;
import io.ephemeral.cvmfs.dataplane.http.HttpServer;
import io.ephemeral.cvmfs.dataplane.http.HttpServerConfig;
import io.ephemeral.cvmfs.dataplane.repository.DataLayout;
import io.ephemeral.cvmfs.dataplane.repository.Repository;
import io.ephemeral.cvmfs.dataplane.server.LocalRepositories;
import io.ephemeral.cvmfs.dataplane.testsupport.CliRunner;
import io.ephemeral.cvmfs.dataplane.testsupport.Tars;
import io.ephemeral.cvmfs.dataplane.verify.RemoteRepository;
import io.ephemeral.cvmfs.dataplane.verify.RepositoryReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.InflaterInputStream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A mixed tree published with each compression option: the catalog's flags (read with the sqlite3
 * shell), the stored objects, {@code verify}, and the bytes served over HTTP, each decoded as its
 * entry's flag says.
 */
class AdaptiveCompressionTest {

  private static final String FQRN = "adaptive.example.org";
  private static final String ROOT = "/mixed";
  private static final int ZLIB = 0;
  private static final int NONE = 1;

  @TempDir
  Path temp;

  @ParameterizedTest
  @ValueSource(strings = {"zlib", "zlib-always", "none"})
  void incompressibleFilesAreStoredAsTheyAreOnlyInAnAdaptiveRepository(String compression) throws Exception {
    Random random = new Random(19);
    Map<String, byte[]> files = new LinkedHashMap<>();
    files.put("src/Main.java", text(random, 200_000));
    files.put("README.txt", text(random, 3_000));
    files.put("zeros.bin", new byte[100_000]);
    files.put("tiny.bin", bytes(random, 100));
    files.put("empty.txt", new byte[0]);
    files.put("random.bin", bytes(random, 300_000));
    files.put("small-random.bin", bytes(random, 10_000));
    files.put("logs.tar.gz", Tars.gzip(text(random, 2_000_000)));
    files.put("layer.bin", bytes(random, 3_000_000));
    // Compressible or tiny: zlib in a zlib repository; the rest does not compress.
    List<String> compressible = List.of("src/Main.java", "README.txt", "zeros.bin", "tiny.bin", "empty.txt");

    Path tree = Files.createDirectories(temp.resolve("tree"));
    for (var file : files.entrySet()) {
      Path target = tree.resolve(file.getKey());
      Files.createDirectories(target.getParent());
      Files.write(target, file.getValue());
    }
    Path data = temp.resolve("data");
    CliRunner.Result published = CliRunner.run("publish", "--data", data.toString(), "--repository", FQRN,
        "--compression", compression, "--chunk-min", "256KiB", "--chunk-avg", "512KiB", "--chunk-max", "1MiB",
        "--path", ROOT.substring(1), tree.toString());
    assertEquals(0, published.exitCode(), published.stderr());

    // The configured compression stays zlib for zlib-always and (adaptive) zlib.
    JsonNode options = new ObjectMapper().readTree(new DataLayout(data).state(FQRN).resolve("options.json").toFile());
    assertEquals(compression.equals("none") ? "none" : "zlib", options.path("compression").asText());

    Map<String, Integer> flags = fileFlags(data);
    for (String name : files.keySet()) {
      int expected = switch (compression) {
        case "zlib" -> compressible.contains(name) ? ZLIB : NONE;
        case "zlib-always" -> ZLIB;
        default -> NONE;
      };
      String leaf = name.substring(name.lastIndexOf('/') + 1);
      assertEquals(expected, (flags.get(leaf) >> 11) & 0x7, name + " has flags " + flags.get(leaf));
    }

    try (Repository repository = Repository.at(new DataLayout(data), FQRN).open();
        HttpServer server = HttpServer.builder(HttpServerConfig.defaults().withAddress("127.0.0.1", 0))
            .repositories(new LocalRepositories(Map.of(FQRN, repository), () -> "http://127.0.0.1"))
            .build()) {
      String url = "http://127.0.0.1:" + server.start() + "/cvmfs/" + FQRN;
      Path key = data.resolve("keys").resolve(FQRN + ".pub");
      CliRunner.Result verified = CliRunner.run("verify", url, "--key", key.toString());
      assertEquals(0, verified.exitCode(), verified.stdout() + verified.stderr());

      HttpClient http = HttpClient.newHttpClient();
      try (RepositoryReader reader = RepositoryReader.open(new RemoteRepository(URI.create(url)))) {
        for (var file : files.entrySet()) {
          String path = ROOT + "/" + file.getKey();
          byte[] plain = file.getValue();
          assertArrayEquals(plain, reader.readAllBytes(path), path);
          DirectoryEntry entry = reader.lookup(path).orElseThrow();
          boolean raw = ((entry.flags() >> 11) & 0x7) == NONE;
          // Every object as stored on disk and as served, decoded by the entry's flag alone.
          List<Piece> pieces = entry.isChunked()
              ? entry.chunks().stream().map(c -> new Piece(c, ObjectKind.CHUNK)).toList()
              : List.of(new Piece(new Chunk(0, plain.length, entry.hash()), ObjectKind.FILE));
          assertEquals(file.getKey().equals("layer.bin"), pieces.size() > 1, path + " chunked");
          for (Piece piece : pieces) {
            byte[] expected = Arrays.copyOfRange(plain, (int) piece.chunk.offset(),
                (int) (piece.chunk.offset() + piece.chunk.size()));
            ContentHash name = piece.chunk.hash();
            byte[] stored = Files.readAllBytes(repository.served().resolve(name.objectPath(piece.kind)));
            byte[] served = http.send(HttpRequest.newBuilder(URI.create(url + "/" + name.objectPath(piece.kind))).build(),
                HttpResponse.BodyHandlers.ofByteArray()).body();
            assertArrayEquals(stored, served, path);
            // The name is the digest of the bytes as stored, whichever way they are stored.
            assertEquals(name, HashAlgorithm.SHA1.hash(stored), path);
            if (raw) {
              assertArrayEquals(expected, served, path + ": an uncompressed object is the content itself");
            } else {
              assertArrayEquals(expected, inflate(served), path);
              assertFalse(expected.length > 0 && Arrays.equals(expected, served), path + " stored compressed");
            }
          }
        }
      }
    }
  }

  /** The flags of every regular file in every catalog object, by file name, read by the sqlite3 shell. */
  private Map<String, Integer> fileFlags(Path data) throws IOException, InterruptedException {
    Map<String, Integer> flags = new HashMap<>();
    List<Path> catalogs;
    try (Stream<Path> objects = Files.walk(data)) {
      catalogs = objects.filter(p -> p.getFileName().toString().matches("[0-9a-f]{38}C")).toList();
    }
    assertFalse(catalogs.isEmpty(), "no catalog objects under " + data);
    for (Path catalog : catalogs) {
      Path db = Files.write(temp.resolve(catalog.getFileName() + ".db"), inflate(Files.readAllBytes(catalog)));
      Process sqlite = new ProcessBuilder("sqlite3", "-readonly", "-separator", "|", db.toString(),
          "SELECT name, flags FROM catalog WHERE flags & 4 = 4").redirectErrorStream(true).start();
      String output = new String(sqlite.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertTrue(sqlite.waitFor(60, TimeUnit.SECONDS));
      assertEquals(0, sqlite.exitValue(), output);
      output.lines().filter(l -> !l.isBlank()).forEach(line -> {
        int bar = line.lastIndexOf('|');
        flags.put(line.substring(0, bar), Integer.parseInt(line.substring(bar + 1)));
      });
    }
    return flags;
  }

  private record Piece(Chunk chunk, ObjectKind kind) {}

  private static byte[] inflate(byte[] compressed) throws IOException {
    try (InputStream in = new InflaterInputStream(new ByteArrayInputStream(compressed))) {
      return in.readAllBytes();
    }
  }

  private static byte[] text(Random random, int size) {
    StringBuilder text = new StringBuilder(size + 16);
    while (text.length() < size) {
      text.append("line ").append(random.nextInt(1000)).append(": the quick brown fox jumps over the lazy dog\n");
    }
    return text.substring(0, size).getBytes(StandardCharsets.US_ASCII);
  }

  private static byte[] bytes(Random random, int size) {
    byte[] data = new byte[size];
    random.nextBytes(data);
    return data;
  }
}
