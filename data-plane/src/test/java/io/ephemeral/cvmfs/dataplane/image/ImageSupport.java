package io.ephemeral.cvmfs.dataplane.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedInputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Assumptions;

/**
 * Reads an image tarball in Docker's docker-archive form (what Jib's buildTar writes) and runs
 * podman. The operator's image test uses it through the data plane's test jar.
 */
public final class ImageSupport {

  private static final ObjectMapper JSON = new ObjectMapper();

  private ImageSupport() {}

  /** The manifest, the image config and the paths of every layer of one image tarball. */
  public record Tarball(JsonNode manifest, JsonNode config, List<List<String>> layers) {

    public static Tarball read(Path tar) throws IOException {
      Map<String, byte[]> files = new HashMap<>();
      Map<String, List<String>> layerPaths = new HashMap<>();
      try (InputStream in = Files.newInputStream(tar)) {
        readTar(in, (name, content) -> {
          if (name.endsWith(".json") || name.equals("repositories")) {
            files.put(name, content.readAllBytes());
          } else if (name.endsWith(".tar") || name.endsWith(".tar.gz")) {
            // A layer, gzipped or not, read as it streams by: the manifest may come last.
            List<String> paths = new ArrayList<>();
            InputStream layer = new BufferedInputStream(content, 1 << 16);
            layer.mark(2);
            boolean gzip = layer.read() == 0x1f && layer.read() == 0x8b;
            layer.reset();
            readTar(gzip ? new GZIPInputStream(layer, 1 << 16) : layer, (path, ignored) -> paths.add(path));
            layerPaths.put(name, paths);
          }
        });
      }
      JsonNode manifest = JSON.readTree(required(files, "manifest.json"));
      assertEquals(1, manifest.size(), "images in " + tar);
      JsonNode config = JSON.readTree(required(files, manifest.get(0).get("Config").asText()));
      List<List<String>> layers = new ArrayList<>();
      for (JsonNode layer : manifest.get(0).get("Layers")) {
        layers.add(layerPaths.getOrDefault(layer.asText(), List.of()));
      }
      return new Tarball(manifest, config, layers);
    }

    /** The container part of the config: Entrypoint, Cmd, Env, User, WorkingDir, ExposedPorts. */
    public JsonNode container() {
      return config.get("config");
    }

    public List<String> strings(String field) {
      List<String> values = new ArrayList<>();
      JsonNode node = container().get(field);
      if (node != null) {
        node.forEach(value -> values.add(value.asText()));
      }
      return values;
    }

    public List<String> exposedPorts() {
      List<String> ports = new ArrayList<>();
      container().path("ExposedPorts").fieldNames().forEachRemaining(ports::add);
      return ports;
    }

    public List<String> repoTags() {
      List<String> tags = new ArrayList<>();
      manifest.get(0).path("RepoTags").forEach(tag -> tags.add(tag.asText()));
      return tags;
    }

    private static byte[] required(Map<String, byte[]> files, String name) {
      byte[] content = files.get(name);
      if (content == null) {
        fail("no " + name + " in the tarball, which holds " + files.keySet());
      }
      return content;
    }
  }

  interface EntryVisitor {
    void visit(String name, InputStream content) throws IOException;
  }

  /** Visits the regular files, directories and links of a tar stream (ustar, pax and GNU long names). */
  static void readTar(InputStream in, EntryVisitor visitor) throws IOException {
    byte[] header = new byte[512];
    String longName = null;
    while (in.readNBytes(header, 0, 512) == 512 && !zero(header)) {
      String name = text(header, 0, 100);
      if ("ustar".equals(text(header, 257, 5)) && header[345] != 0) {
        name = text(header, 345, 155) + "/" + name;
      }
      long size = octal(header, 124, 12);
      char type = (char) header[156];
      byte[] content = null;
      if (type == 'x' || type == 'L') {
        content = in.readNBytes((int) size);
      } else {
        if (longName != null) {
          name = longName;
          longName = null;
        }
        if (name.startsWith("./")) {
          name = name.substring(2);
        }
        Bounded entry = new Bounded(in, size);
        visitor.visit(name, entry);
        entry.skipNBytes(entry.remaining);
      }
      in.skipNBytes((512 - size % 512) % 512);
      if (type == 'L') {
        longName = new String(content, StandardCharsets.UTF_8).replace("\0", "");
      } else if (type == 'x') {
        for (String record : new String(content, StandardCharsets.UTF_8).split("\n")) {
          int space = record.indexOf(' ');
          if (space > 0 && record.startsWith("path=", space + 1)) {
            longName = record.substring(space + 6);
          }
        }
      }
    }
  }

  private static boolean zero(byte[] block) {
    for (byte b : block) {
      if (b != 0) {
        return false;
      }
    }
    return true;
  }

  private static String text(byte[] header, int offset, int length) {
    int end = offset;
    while (end < offset + length && header[end] != 0) {
      end++;
    }
    return new String(header, offset, end - offset, StandardCharsets.UTF_8);
  }

  private static long octal(byte[] header, int offset, int length) {
    String digits = text(header, offset, length).trim();
    return digits.isEmpty() ? 0 : Long.parseLong(digits, 8);
  }

  /** One entry's bytes of the tar stream. */
  private static final class Bounded extends InputStream {
    private final InputStream in;
    long remaining;

    Bounded(InputStream in, long size) {
      this.in = in;
      this.remaining = size;
    }

    @Override
    public int read() throws IOException {
      if (remaining <= 0) {
        return -1;
      }
      int b = in.read();
      if (b >= 0) {
        remaining--;
      }
      return b;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
      if (remaining <= 0) {
        return -1;
      }
      int n = in.read(buffer, offset, (int) Math.min(length, remaining));
      if (n > 0) {
        remaining -= n;
      }
      return n;
    }

    @Override
    public void close() {}
  }

  // ---- podman ----

  public static final boolean REQUIRED = "true".equals(System.getenv("CVMFS_REQUIRE_IMAGES"));

  /** The podman binary, or the test is skipped (a failure with CVMFS_REQUIRE_IMAGES=true). */
  public static String podman() {
    String configured = System.getenv("PODMAN");
    if (configured != null && !configured.isBlank()) {
      return configured;
    }
    for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(File.pathSeparator)) {
      Path candidate = Path.of(dir, "podman");
      if (Files.isExecutable(candidate)) {
        return candidate.toString();
      }
    }
    String reason = "podman is not installed (apt-get install podman runc uidmap), so the image is not run;"
        + " CVMFS_REQUIRE_IMAGES=true makes this a failure";
    if (REQUIRED) {
      fail(reason);
    }
    Assumptions.abort(reason);
    return null;
  }

  /**
   * Options of podman run that work where root cannot raise its own limits (no
   * CAP_SYS_RESOURCE): runc, the host's network, nofile at this process's hard limit and nproc at
   * most 32768 (podman's defaults ask for more, and runc fails to set them).
   */
  public static List<String> runOptions() throws IOException {
    List<String> options = new ArrayList<>(List.of("--runtime", System.getenv().getOrDefault("CVMFS_PODMAN_RUNTIME", "runc"),
        "--network=host"));
    Path limits = Path.of("/proc/self/limits");
    if (Files.isReadable(limits)) {
      for (String line : Files.readAllLines(limits)) {
        String[] fields = line.trim().split("\\s{2,}");
        if (fields.length < 3 || !fields[2].matches("\\d+")) {
          continue;
        }
        long hard = Long.parseLong(fields[2]);
        if (line.startsWith("Max open files")) {
          options.addAll(List.of("--ulimit", "nofile=" + hard + ":" + hard));
        } else if (line.startsWith("Max processes")) {
          long nproc = Math.min(hard, 32768);
          options.addAll(List.of("--ulimit", "nproc=" + nproc + ":" + nproc));
        }
      }
    }
    return options;
  }

  public record Result(int exitCode, String stdout, String stderr) {
    public String output() {
      return stdout + stderr;
    }
  }

  /** Runs podman with these arguments; fails the test when it does not exit 0. */
  public static Result podman(List<String> args) throws IOException, InterruptedException {
    Result result = podmanMayFail(args);
    if (result.exitCode() != 0) {
      fail("podman " + String.join(" ", args) + " exited " + result.exitCode() + ":\n" + result.output());
    }
    return result;
  }

  public static Result podmanMayFail(List<String> args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(podman());
    command.addAll(args);
    Path out = Files.createTempFile("podman", ".out");
    Path err = Files.createTempFile("podman", ".err");
    try {
      Process process = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
      if (!process.waitFor(5, TimeUnit.MINUTES)) {
        process.destroyForcibly();
        fail(String.join(" ", command) + " did not finish in 5 minutes");
      }
      Result result = new Result(process.exitValue(), Files.readString(out), Files.readString(err));
      System.out.println("$ " + String.join(" ", command) + "\n" + result.output().strip());
      return result;
    } finally {
      Files.deleteIfExists(out);
      Files.deleteIfExists(err);
    }
  }

  /** Loads the tarball and returns the image's id, which the tests run and remove. */
  public static String load(Path tar, String name) throws IOException, InterruptedException {
    podman(List.of("load", "-i", tar.toString()));
    return podman(List.of("image", "inspect", "--format", "{{.Id}}", name)).stdout().strip();
  }

  public static void removeImage(String name) throws IOException, InterruptedException {
    podmanMayFail(List.of("rmi", "--force", name));
  }
}
