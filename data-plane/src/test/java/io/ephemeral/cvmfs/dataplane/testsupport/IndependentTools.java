package io.ephemeral.cvmfs.dataplane.testsupport;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.InflaterInputStream;

/**
 * The checks of spec Appendix A, done with OpenSSL and the sqlite3 shell rather than with our own
 * format code, so that a bug shared by our writer and our reader cannot hide. Works on a served
 * repository (base URL) or on a repository directory as written to disk.
 *
 * <p>Only splitting the signed files at {@code LF--LF}, reading manifest lines and inflating zlib
 * happen in Java here (plain {@link InflaterInputStream}); hashes, signatures, certificate and
 * SQLite parsing all go through the external tools.
 *
 * <pre>
 * IndependentTools.forUrl(server.uri("cvmfs/repo.example.org"), masterPub).checkAll();
 * IndependentTools.forDirectory(repositoryDir, masterPub).checkAll();
 * </pre>
 *
 * Every failed check throws an {@link AssertionError} that quotes the tool's output.
 */
public final class IndependentTools {

  /** Appendix A's root row: MD5 of the empty path split, parent 0/0, name '', flags 1. */
  public static final String ROOT_ROW = "338333539836370388|9098107892288553193|0|0||1";

  private static final long TOOL_TIMEOUT_SECONDS = 60;

  private final Source source;
  private final Path masterPublicKey;

  private IndependentTools(Source source, Path masterPublicKey) {
    this.source = source;
    this.masterPublicKey = masterPublicKey.toAbsolutePath();
  }

  /** A repository served at {@code baseUrl} (e.g. {@code http://127.0.0.1:8080/cvmfs/repo.example.org}). */
  public static IndependentTools forUrl(URI baseUrl, Path masterPublicKey) {
    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    String base = baseUrl.toString().replaceAll("/+$", "");
    return new IndependentTools(path -> {
      URI uri = URI.create(base + "/" + path);
      try {
        HttpResponse<byte[]> response = client.send(HttpRequest.newBuilder(uri).build(),
            HttpResponse.BodyHandlers.ofByteArray());
        if (response.statusCode() != 200) {
          throw new AssertionError("GET " + uri + " answered HTTP " + response.statusCode());
        }
        return response.body();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted", e);
      }
    }, masterPublicKey);
  }

  /** A repository directory: the one holding {@code .cvmfspublished} and {@code data/}. */
  public static IndependentTools forDirectory(Path repositoryDirectory, Path masterPublicKey) {
    Path root = repositoryDirectory.toAbsolutePath();
    return new IndependentTools(path -> Files.readAllBytes(root.resolve(path)), masterPublicKey);
  }

  /** Whether {@code openssl} and {@code sqlite3} can be run. */
  public static boolean available() {
    try {
      return run(List.of("openssl", "version")).exitCode == 0
          && run(List.of("sqlite3", "-version")).exitCode == 0;
    } catch (IOException e) {
      return false;
    }
  }

  /** Runs every check below; returns one line per check done, for test logs. */
  public List<String> checkAll() throws IOException {
    List<String> done = new ArrayList<>();
    done.addAll(checkManifest());
    done.addAll(checkWhitelist());
    done.addAll(checkCatalogs());
    return done;
  }

  /**
   * Manifest: body hash ({@code openssl dgst}), certificate object hash, certificate parses
   * ({@code openssl x509}), signature ({@code openssl dgst -sha1 -verify} prints {@code Verified OK}).
   */
  public List<String> checkManifest() throws IOException {
    return inWorkDir(dir -> {
      Signed manifest = split("manifest", source.read(".cvmfspublished"));
      Map<Character, String> fields = manifestFields(manifest.letter);
      List<String> done = new ArrayList<>();
      checkBodyHash("manifest", manifest, dir);
      done.add("manifest body hashes to its hash line " + manifest.hashLine);

      String certificateName = require(fields, 'X', "manifest");
      Path certificate = write(dir.resolve("cert.pem"), inflate(object(certificateName, "X", dir)));
      Path certificateKey = dir.resolve("cert.pub");
      Files.writeString(certificateKey, tool(List.of("openssl", "x509", "-in", certificate.toString(), "-pubkey",
          "-noout")).stdout);
      Path hashFile = write(dir.resolve("manifest-hash.txt"), manifest.hashLine.getBytes(StandardCharsets.US_ASCII));
      Path signature = write(dir.resolve("manifest-sig.bin"), manifest.signature);
      String verified = tool(List.of("openssl", "dgst", "-sha1", "-verify", certificateKey.toString(), "-signature",
          signature.toString(), hashFile.toString())).stdout.trim();
      if (!verified.equals("Verified OK")) {
        throw new AssertionError("openssl dgst -sha1 -verify of the manifest printed '" + verified + "'");
      }
      done.add("manifest signature: " + verified);
      return done;
    });
  }

  /**
   * Whitelist: body hash, {@code openssl pkeyutl -verifyrecover} with the master key recovers the
   * hash line, {@code pkeyutl -verify} succeeds, and the certificate's SHA-1 fingerprint from
   * {@code openssl x509 -fingerprint} is one of the listed lines.
   */
  public List<String> checkWhitelist() throws IOException {
    return inWorkDir(dir -> {
      Signed whitelist = split("whitelist", source.read(".cvmfswhitelist"));
      List<String> done = new ArrayList<>();
      checkBodyHash("whitelist", whitelist, dir);
      done.add("whitelist body hashes to its hash line " + whitelist.hashLine);

      Path signature = write(dir.resolve("whitelist-sig.bin"), whitelist.signature);
      String recovered = tool(List.of("openssl", "pkeyutl", "-verifyrecover", "-pubin", "-inkey",
          masterPublicKey.toString(), "-in", signature.toString())).stdout;
      if (!recovered.equals(whitelist.hashLine)) {
        throw new AssertionError("openssl pkeyutl -verifyrecover recovered '" + recovered + "', expected the hash line '"
            + whitelist.hashLine + "'");
      }
      Path hashFile = write(dir.resolve("whitelist-hash.txt"), whitelist.hashLine.getBytes(StandardCharsets.US_ASCII));
      String verified = tool(List.of("openssl", "pkeyutl", "-verify", "-pubin", "-inkey", masterPublicKey.toString(),
          "-sigfile", signature.toString(), "-in", hashFile.toString())).stdout.trim();
      if (!verified.equals("Signature Verified Successfully")) {
        throw new AssertionError("openssl pkeyutl -verify of the whitelist printed '" + verified + "'");
      }
      done.add("whitelist signature: recovered the hash line; " + verified);

      Map<Character, String> fields = manifestFields(split("manifest", source.read(".cvmfspublished")).letter);
      Path certificate = write(dir.resolve("cert.pem"), inflate(object(require(fields, 'X', "manifest"), "X", dir)));
      // The fingerprint uses the repository's hash algorithm, which the hash line's length names.
      String suffix = whitelist.hashLine.length() == 47 ? "-RMD160" : whitelist.hashLine.length() == 49 ? "-SHAKE128" : "";
      List<String> digest = switch (suffix) {
        case "-RMD160" -> List.of("-ripemd160");
        case "-SHAKE128" -> List.of("-shake128", "-xoflen", "20");
        default -> List.of("-sha1");
      };
      Path der = dir.resolve("cert.der");
      tool(List.of("openssl", "x509", "-in", certificate.toString(), "-outform", "der", "-out", der.toString()));
      List<String> dgst = new ArrayList<>(List.of("openssl", "dgst"));
      dgst.addAll(digest);
      dgst.addAll(List.of("-r", der.toString()));
      String hex = tool(dgst).stdout.trim().split(" ")[0].toUpperCase(Locale.ROOT);
      String fingerprint = hex.replaceAll("(..)(?!$)", "$1:") + suffix;
      List<String> lines = Arrays.asList(new String(whitelist.letter, StandardCharsets.US_ASCII).split("\n"));
      if (lines.size() < 4 || !lines.subList(3, lines.size()).contains(fingerprint)) {
        throw new AssertionError("certificate fingerprint " + fingerprint + " is not a line of the whitelist " + lines);
      }
      done.add("whitelist lists certificate fingerprint " + fingerprint);
      return done;
    });
  }

  /**
   * Catalogs, root and nested recursively: object hash, header bytes 18/19, {@code PRAGMA
   * integrity_check}, schema properties, 24 statistics rows, the root row of the root catalog,
   * {@code revision} equal to the manifest's {@code S}, {@code root_prefix} and uncompressed size
   * of nested catalogs.
   */
  public List<String> checkCatalogs() throws IOException {
    return inWorkDir(dir -> {
      Map<Character, String> fields = manifestFields(split("manifest", source.read(".cvmfspublished")).letter);
      List<String> done = new ArrayList<>();
      Path root = catalog(require(fields, 'C', "manifest"), dir, done);
      String rootRow = sql(root, "SELECT md5path_1, md5path_2, parent_1, parent_2, name, flags FROM catalog WHERE name = ''");
      if (!rootRow.equals(ROOT_ROW)) {
        throw new AssertionError("root catalog root row is '" + rootRow + "', expected '" + ROOT_ROW + "'");
      }
      String revision = sql(root, "SELECT value FROM properties WHERE key = 'revision'");
      if (!revision.equals(require(fields, 'S', "manifest"))) {
        throw new AssertionError("root catalog revision " + revision + " differs from manifest S" + fields.get('S'));
      }
      done.add("root catalog: root row " + rootRow + ", revision " + revision);
      checkNested(root, dir, done);
      return done;
    });
  }

  private void checkNested(Path parent, Path dir, List<String> done) throws IOException {
    String rows = sql(parent, "SELECT path, sha1, size FROM nested_catalogs ORDER BY path");
    for (String row : rows.isEmpty() ? List.<String>of() : List.of(rows.split("\n"))) {
      String[] columns = row.split("\\|");
      Path nested = catalog(columns[1], dir, done);
      if (Files.size(nested) != Long.parseLong(columns[2])) {
        throw new AssertionError("nested catalog " + columns[0] + " has " + Files.size(nested)
            + " bytes, nested_catalogs says " + columns[2]);
      }
      String prefix = sql(nested, "SELECT value FROM properties WHERE key = 'root_prefix'");
      if (!prefix.equals(columns[0])) {
        throw new AssertionError("nested catalog " + columns[0] + " has root_prefix '" + prefix + "'");
      }
      String mountpointFlags = sql(nested, "SELECT flags & 33 FROM catalog WHERE name = '"
          + columns[0].substring(columns[0].lastIndexOf('/') + 1).replace("'", "''") + "' AND flags & 32 = 32");
      if (!mountpointFlags.equals("33")) {
        throw new AssertionError("nested catalog " + columns[0] + " has no root entry with flags 33");
      }
      done.add("nested catalog " + columns[0] + ": root_prefix and size match");
      checkNested(nested, dir, done);
    }
  }

  /** Fetches, hash-checks and inflates a catalog, then checks what every catalog must satisfy. */
  private Path catalog(String hashString, Path dir, List<String> done) throws IOException {
    Path db = write(dir.resolve(hashString + ".db"), inflate(object(hashString, "C", dir)));
    byte[] header = Arrays.copyOf(Files.readAllBytes(db), 100);
    if (header[18] != 1 || header[19] != 1) {
      throw new AssertionError("catalog " + hashString + ": header bytes 18/19 are " + header[18] + "/" + header[19]);
    }
    expectSql(db, "PRAGMA integrity_check", "ok");
    expectSql(db, "SELECT value FROM properties WHERE key = 'schema'", "2.5");
    expectSql(db, "SELECT value FROM properties WHERE key = 'schema_revision'", "7");
    expectSql(db, "SELECT count(*) FROM statistics", "24");
    done.add("catalog " + hashString + ": integrity ok, schema 2.5 revision 7, 24 statistics rows");
    return db;
  }

  private void expectSql(Path db, String query, String expected) throws IOException {
    String actual = sql(db, query);
    if (!actual.equals(expected)) {
      throw new AssertionError("sqlite3 " + db.getFileName() + " \"" + query + "\" printed '" + actual + "', expected '"
          + expected + "'");
    }
  }

  private static String sql(Path db, String query) throws IOException {
    return tool(List.of("sqlite3", "-readonly", db.toString(), query)).stdout.strip();
  }

  /** The raw object bytes, after checking with {@code openssl dgst} that they hash to the name. */
  private Path object(String hashString, String suffix, Path dir) throws IOException {
    String relative = "data/" + hashString.substring(0, 2) + "/" + hashString.substring(2) + suffix;
    Path file = write(dir.resolve(hashString + suffix + ".raw"), source.read(relative));
    String digest = digest(hashString, file);
    if (!digest.equals(hashString.substring(0, 40))) {
      throw new AssertionError("object " + relative + " hashes to " + digest + " (openssl dgst)");
    }
    return file;
  }

  private void checkBodyHash(String what, Signed document, Path dir) throws IOException {
    Path letter = write(dir.resolve(what + "-letter"), document.letter);
    String digest = digest(document.hashLine, letter);
    if (!digest.equals(document.hashLine.substring(0, Math.min(40, document.hashLine.length())))) {
      throw new AssertionError(what + " body hashes to " + digest + " (openssl dgst), the hash line says "
          + document.hashLine);
    }
  }

  /** {@code openssl dgst} in the algorithm a hash string's length implies (format.md 1.2). */
  private static String digest(String hashString, Path file) throws IOException {
    List<String> algorithm = switch (hashString.length()) {
      case 40 -> List.of("-sha1");
      case 47 -> List.of("-ripemd160");
      case 49 -> List.of("-shake128", "-xoflen", "20");
      default -> throw new AssertionError("'" + hashString + "' is not a hash string");
    };
    List<String> command = new ArrayList<>(List.of("openssl", "dgst"));
    command.addAll(algorithm);
    command.addAll(List.of("-r", file.toString()));
    String output = tool(command).stdout;
    return output.substring(0, output.indexOf(' '));
  }

  private static byte[] inflate(Path file) throws IOException {
    try (InputStream in = new InflaterInputStream(Files.newInputStream(file))) {
      return in.readAllBytes();
    }
  }

  private static Map<Character, String> manifestFields(byte[] letter) {
    Map<Character, String> fields = new LinkedHashMap<>();
    for (String line : new String(letter, StandardCharsets.US_ASCII).split("\n")) {
      if (!line.isEmpty()) {
        fields.put(line.charAt(0), line.substring(1));
      }
    }
    return fields;
  }

  private static String require(Map<Character, String> fields, char key, String what) {
    String value = fields.get(key);
    if (value == null) {
      throw new AssertionError(what + " has no " + key + " line");
    }
    return value;
  }

  /** Appendix A: split at the first {@code LF--LF}. */
  private static Signed split(String what, byte[] file) {
    for (int i = 0; i + 4 <= file.length; i++) {
      if (file[i] == '\n' && file[i + 1] == '-' && file[i + 2] == '-' && file[i + 3] == '\n') {
        int hashStart = i + 4;
        int hashEnd = hashStart;
        while (hashEnd < file.length && file[hashEnd] != '\n') {
          hashEnd++;
        }
        if (hashEnd == file.length) {
          throw new AssertionError(what + ": no line end after the hash line");
        }
        return new Signed(Arrays.copyOfRange(file, 0, i + 1),
            new String(file, hashStart, hashEnd - hashStart, StandardCharsets.US_ASCII),
            Arrays.copyOfRange(file, hashEnd + 1, file.length));
      }
    }
    throw new AssertionError(what + ": no '--' line");
  }

  private static Path write(Path file, byte[] content) throws IOException {
    return Files.write(file, content);
  }

  private static ToolResult tool(List<String> command) throws IOException {
    ToolResult result = run(command);
    if (result.exitCode != 0) {
      throw new AssertionError(String.join(" ", command) + " exited with " + result.exitCode + ": " + result.stderr
          + result.stdout);
    }
    return result;
  }

  private static ToolResult run(List<String> command) throws IOException {
    Process process = new ProcessBuilder(command).start();
    process.getOutputStream().close();
    CompletableFuture<byte[]> stdout = CompletableFuture.supplyAsync(() -> readAll(process.getInputStream()));
    CompletableFuture<byte[]> stderr = CompletableFuture.supplyAsync(() -> readAll(process.getErrorStream()));
    try {
      if (!process.waitFor(TOOL_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new AssertionError(String.join(" ", command) + " did not finish in " + TOOL_TIMEOUT_SECONDS + " s");
      }
      return new ToolResult(process.exitValue(), new String(stdout.join(), StandardCharsets.UTF_8),
          new String(stderr.join(), StandardCharsets.UTF_8));
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while running " + command.get(0), e);
    }
  }

  private static byte[] readAll(InputStream in) {
    try (in; ByteArrayOutputStream out = new ByteArrayOutputStream()) {
      in.transferTo(out);
      return out.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static <T> T inWorkDir(WorkDirTask<T> task) throws IOException {
    Path dir = Files.createTempDirectory("independent-tools-");
    try {
      return task.run(dir);
    } finally {
      try (Stream<Path> paths = Files.walk(dir)) {
        for (Path path : (Iterable<Path>) paths.sorted(Comparator.reverseOrder())::iterator) {
          Files.deleteIfExists(path);
        }
      }
    }
  }

  @FunctionalInterface
  private interface Source {
    byte[] read(String relativePath) throws IOException;
  }

  @FunctionalInterface
  private interface WorkDirTask<T> {
    T run(Path dir) throws IOException;
  }

  private record Signed(byte[] letter, String hashLine, byte[] signature) {}

  private record ToolResult(int exitCode, String stdout, String stderr) {}
}
