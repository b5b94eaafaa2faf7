package io.ephemeral.cvmfs.dataplane.publish.source;

import static io.ephemeral.cvmfs.dataplane.publish.source.EntryPaths.quote;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ephemeral.cvmfs.dataplane.publish.source.ArchiveSource.Limits;
import io.ephemeral.cvmfs.dataplane.publish.source.ArchiveSource.SpecialFiles;
import io.ephemeral.cvmfs.dataplane.publish.source.SourceEntry.EntryType;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.LongSupplier;
import java.util.stream.Stream;

/**
 * Reads a container image archive and hands out the root file system of the image: its layers
 * applied in order, whiteouts included, as one tree.
 *
 * <p>The archive is read once, as a stream. Its members come in any order, and the file that lists
 * the layers often comes last, so every member is first spooled to a private directory below the
 * scratch directory given here; the directory is removed when the walk ends, however it ends. No
 * member is held in memory, except the small JSON documents; what the walk keeps is the set of
 * paths decided so far. Blobs stored under {@code blobs/<algorithm>/<digest>} are checked against
 * their name while they are spooled, and every blob reached through a descriptor is checked
 * against the descriptor.
 *
 * <p>The layers are then read from the uppermost to the lowest, each once (plus a partial second
 * read where hard links need the content of hidden files), and an entry is handed out only when no
 * upper layer decided its path: replaced it, whited it out ({@code .wh.<name>}), made a directory
 * above it opaque ({@code .wh..wh..opq}) or put a non-directory above it. The result is what
 * extracting the layers in order would leave, with one ordering difference the consumer has to
 * accept: a directory of a lower layer may come after entries beneath it, and a later directory
 * entry for a path must replace the implied parent directory (last entry wins, as for plain
 * archives). Where a directory is in several layers, the uppermost entry's metadata wins and the
 * children of all of them merge.
 *
 * <p>Devices and FIFOs, which images commonly carry under {@code /dev}, are left out and counted
 * in {@link #skippedSpecialFiles()}; they still hide what lower layers held at their path. A hard
 * link whose target an upper layer replaced or hid becomes a copy of the target's content in its
 * own layer. Hard links whose target is in another layer are refused: container tools write a
 * layer that adds a link to a lower file with the file in it too, so they do not make such links.
 *
 * <p>The {@link Limits} bound the flattened tree. What upper layers replace or delete is still
 * read and decompressed, so it is bounded too, by a budget of its own of the same size: a small
 * layer cannot make the walk expand a huge hidden file, nor can a layer listed many times. The
 * caller keeps ownership of the input stream and closes it. A source can be walked once.
 */
public final class ImageArchiveSource implements TreeSource {

  private static final ObjectMapper JSON = new ObjectMapper();
  /** Bound on the JSON documents read: manifests and indexes are a few kilobytes. */
  private static final long MAX_JSON_BYTES = 4L << 20;
  private static final int MAX_INDEX_DEPTH = 8;
  private static final int MAX_LINK_HOPS = 16;
  private static final int BUFFER_SIZE = 64 * 1024;
  /** Spooled bytes below which the expansion ratio is not applied: small archives compress well. */
  private static final long SPOOL_SLACK = 1 << 20;
  /** The layers are held to the limits as a whole, by {@link Flattening}, not one by one. */
  private static final Limits PER_LAYER = new Limits(Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE);

  private static final String WHITEOUT = ".wh.";
  private static final String OPAQUE = ".wh..wh..opq";
  private static final String DOCKER_MANIFEST = "manifest.json";
  private static final String OCI_INDEX = "index.json";
  private static final Set<String> INDEX_MEDIA_TYPES = Set.of(
      "application/vnd.oci.image.index.v1+json",
      "application/vnd.docker.distribution.manifest.list.v2+json");

  private final InputStream in;
  private final ImageFormat format;
  private final Path scratch;
  private final Limits limits;
  private LongSupplier received = () -> Long.MAX_VALUE;
  private long maxExpansionRatio = Long.MAX_VALUE;
  private long skippedSpecialFiles;
  private boolean walked;

  /** {@link #ImageArchiveSource(InputStream, ImageFormat, Path, Limits)} with {@link Limits#DEFAULT}. */
  public ImageArchiveSource(InputStream in, ImageFormat format, Path scratch) {
    this(in, format, scratch, Limits.DEFAULT);
  }

  /**
   * Prepares to read an image archive, plain tar or compressed with gzip or zstd, from {@code in}.
   *
   * @param format how the archive describes its image, or {@code null} to use {@code manifest.json}
   *     when there is one and {@code index.json} otherwise. Newer Docker writes both, and either
   *     format reads such an archive.
   * @param scratch where the members are spooled while the archive is read: a directory on a disk
   *     with room for the whole image
   */
  public ImageArchiveSource(InputStream in, ImageFormat format, Path scratch, Limits limits) {
    this.in = Objects.requireNonNull(in, "in");
    this.format = format;
    this.scratch = Objects.requireNonNull(scratch, "scratch");
    this.limits = Objects.requireNonNull(limits, "limits");
  }

  /**
   * Bounds what the spool may hold by what was received: at most {@code maxExpansionRatio} bytes
   * written per byte read from the input (past a first MiB), as {@code received} counts them.
   */
  public void boundSpool(LongSupplier received, long maxExpansionRatio) {
    this.received = Objects.requireNonNull(received, "received");
    this.maxExpansionRatio = maxExpansionRatio;
  }

  /**
   * Most bytes the spool may hold: the layers of a tree within the {@link Limits} carry at most
   * {@code maxTotalBytes} of visible content, as much again that upper layers hide, per entry a
   * header block and a block of padding (times two for hidden ones), and per member of the archive
   * a tar record of 10 KiB, to which writers pad each layer.
   */
  static long maxSpoolBytes(Limits limits) {
    long content = saturatedAdd(limits.maxTotalBytes(), limits.maxTotalBytes());
    long headers = limits.maxEntries() > Long.MAX_VALUE / (4 * 512) ? Long.MAX_VALUE : limits.maxEntries() * 4 * 512;
    long members = maxSpoolMembers(limits);
    long records = members > Long.MAX_VALUE / 10240 ? Long.MAX_VALUE : members * 10240;
    return saturatedAdd(saturatedAdd(content, headers), records);
  }

  /**
   * Most members the archive itself may have: {@code docker save} writes four per layer (a
   * directory, {@code VERSION}, {@code json}, {@code layer.tar}), and a layer that adds no entry
   * to the tree is rare, so four per entry and some for the manifests and configs.
   */
  static long maxSpoolMembers(Limits limits) {
    return limits.maxEntries() > (Long.MAX_VALUE - 64) / 4 ? Long.MAX_VALUE : 4 * limits.maxEntries() + 64;
  }

  private static long saturatedAdd(long a, long b) {
    long sum = a + b;
    return sum < 0 ? Long.MAX_VALUE : sum;
  }

  /**
   * How many devices and FIFOs of the flattened tree were left out; those that upper layers hide
   * do not count. Complete once {@link #walk} returned.
   */
  public long skippedSpecialFiles() {
    return skippedSpecialFiles;
  }

  @Override
  public void walk(TreeVisitor visitor) throws IOException {
    Objects.requireNonNull(visitor, "visitor");
    if (walked) {
      throw new IllegalStateException("an image archive can only be walked once");
    }
    walked = true;
    Path spool = Files.createTempDirectory(scratch, "image-");
    try {
      Members members = Members.spool(in, spool, limits, received, maxExpansionRatio);
      List<Layer> layers = switch (chooseFormat(members)) {
        case DOCKER_ARCHIVE -> dockerLayers(members);
        case OCI_ARCHIVE -> ociLayers(members);
      };
      new Flattening(visitor).run(layers);
    } catch (Throwable failure) {
      try {
        deleteTree(spool);
      } catch (IOException e) {
        failure.addSuppressed(e);
      }
      throw failure;
    }
    deleteTree(spool);
  }

  private ImageFormat chooseFormat(Members members) throws IOException {
    if (format != null) {
      return format;
    }
    if (members.find(DOCKER_MANIFEST) != null) {
      return ImageFormat.DOCKER_ARCHIVE;
    }
    if (members.find(OCI_INDEX) != null) {
      return ImageFormat.OCI_ARCHIVE;
    }
    throw new InvalidSourceException("not a container image archive: it has neither " + DOCKER_MANIFEST
        + " nor " + OCI_INDEX);
  }

  // ---------------------------------------------------------------------------------------------
  // Finding the layers

  private static List<Layer> dockerLayers(Members members) throws IOException {
    Blob manifest = members.find(DOCKER_MANIFEST);
    if (manifest == null) {
      throw new InvalidSourceException("not a docker save archive: it has no " + DOCKER_MANIFEST
          + (members.find(OCI_INDEX) != null ? " (it holds an OCI image layout; read it as an OCI archive)" : ""));
    }
    JsonNode images = readJson(manifest, DOCKER_MANIFEST);
    if (!images.isArray()) {
      throw new InvalidSourceException(DOCKER_MANIFEST + " is not a JSON array");
    }
    if (images.isEmpty()) {
      throw new InvalidSourceException(DOCKER_MANIFEST + " lists no image");
    }
    if (images.size() > 1) {
      throw new InvalidSourceException(DOCKER_MANIFEST + " lists " + images.size()
          + " images; an archive can only be published with exactly one image in it");
    }
    JsonNode paths = images.get(0).get("Layers");
    if (paths == null || !paths.isArray()) {
      throw new InvalidSourceException(DOCKER_MANIFEST + " has no Layers list");
    }
    List<Layer> layers = new ArrayList<>();
    for (JsonNode entry : paths) {
      if (!entry.isTextual()) {
        throw new InvalidSourceException(DOCKER_MANIFEST + " lists a layer that is not a path: " + entry);
      }
      String path = EntryPaths.normalize(entry.asText(),
          "the layer path " + quote(entry.asText()) + " of " + DOCKER_MANIFEST);
      Blob blob = members.find(path);
      if (blob == null) {
        throw new InvalidSourceException("layer " + quote(path) + " listed in " + DOCKER_MANIFEST
            + " is not in the archive");
      }
      // Newer Docker names layers by digest; hold them to it as an OCI layout would.
      BlobPath named = BlobPath.parse(path);
      if (named != null) {
        named.verify(blob);
      }
      layers.add(new Layer(quote(path), blob));
    }
    return layers;
  }

  private static List<Layer> ociLayers(Members members) throws IOException {
    Blob indexBlob = members.find(OCI_INDEX);
    if (indexBlob == null) {
      throw new InvalidSourceException("not an OCI image layout: it has no " + OCI_INDEX
          + (members.find(DOCKER_MANIFEST) != null ? " (it holds a docker save archive; read it as one)" : ""));
    }
    JsonNode index = readJson(indexBlob, OCI_INDEX);
    JsonNode descriptor = chooseImage(members, index);
    for (int depth = 0; ; depth++) {
      if (depth == MAX_INDEX_DEPTH) {
        throw new InvalidSourceException("image indexes nest more than " + MAX_INDEX_DEPTH + " deep");
      }
      String name = "manifest " + digestOf(descriptor, "a manifest descriptor");
      JsonNode manifest = readJson(members.blob(descriptor, name), name);
      if (isIndex(descriptor, manifest)) {
        descriptor = choosePlatform(members, manifest, name);
        continue;
      }
      JsonNode layerList = manifest.get("layers");
      if (layerList == null || !layerList.isArray()) {
        throw new InvalidSourceException(name + " is no image manifest: it has no layers list");
      }
      List<Layer> layers = new ArrayList<>();
      for (JsonNode layer : layerList) {
        String digest = digestOf(layer, "a layer descriptor of " + name);
        layers.add(new Layer(digest, members.blob(layer, "layer " + digest)));
      }
      return layers;
    }
  }

  /**
   * The one image of {@code index.json}. Several descriptors are several images, and refused like
   * several images in {@code manifest.json}, unless each names a platform: then they are the
   * variants of one image, as in a nested index.
   */
  private static JsonNode chooseImage(Members members, JsonNode index) throws IOException {
    JsonNode manifests = manifestsOf(index, OCI_INDEX);
    if (manifests.size() == 1) {
      return manifests.get(0);
    }
    for (JsonNode descriptor : manifests) {
      if (!descriptor.path("platform").isObject()) {
        throw new InvalidSourceException(OCI_INDEX + " lists " + manifests.size()
            + " images; an archive can only be published with exactly one image in it");
      }
    }
    return choosePlatform(members, index, OCI_INDEX);
  }

  /**
   * The first variant of a multi-platform index that the archive holds. {@code docker save} keeps
   * the index of every platform but the blobs of the local one only. Attestations are no images.
   */
  private static JsonNode choosePlatform(Members members, JsonNode index, String name) throws IOException {
    JsonNode manifests = manifestsOf(index, name);
    for (JsonNode descriptor : manifests) {
      String reference = descriptor.path("annotations").path("vnd.docker.reference.type").asText();
      boolean attestation = reference.equals("attestation-manifest")
          || descriptor.path("platform").path("os").asText().equals("unknown");
      if (!attestation && members.findBlob(descriptor, "a manifest descriptor of " + name) != null) {
        return descriptor;
      }
    }
    throw new InvalidSourceException("none of the " + manifests.size() + " manifests listed by " + name
        + " is in the archive");
  }

  private static JsonNode manifestsOf(JsonNode index, String name) throws InvalidSourceException {
    JsonNode manifests = index.get("manifests");
    if (manifests == null || !manifests.isArray()) {
      throw new InvalidSourceException(name + " has no manifests list");
    }
    if (manifests.isEmpty()) {
      throw new InvalidSourceException(name + " lists no image");
    }
    return manifests;
  }

  private static boolean isIndex(JsonNode descriptor, JsonNode document) {
    return INDEX_MEDIA_TYPES.contains(descriptor.path("mediaType").asText())
        || INDEX_MEDIA_TYPES.contains(document.path("mediaType").asText())
        || (document.has("manifests") && !document.has("layers"));
  }

  private static String digestOf(JsonNode descriptor, String what) throws InvalidSourceException {
    JsonNode digest = descriptor.get("digest");
    if (!descriptor.isObject() || digest == null || !digest.isTextual()) {
      throw new InvalidSourceException(what + " has no digest");
    }
    return digest.asText();
  }

  private static JsonNode readJson(Blob blob, String name) throws IOException {
    if (blob.size() > MAX_JSON_BYTES) {
      throw new InvalidSourceException(name + " is larger than the limit of " + MAX_JSON_BYTES + " bytes");
    }
    JsonNode node;
    try {
      node = JSON.readTree(blob.file().toFile());
    } catch (JsonProcessingException e) {
      throw new InvalidSourceException(name + " is not valid JSON: " + e.getOriginalMessage(), e);
    }
    if (node == null || !(node.isObject() || node.isArray())) {
      throw new InvalidSourceException(name + " is not a JSON object or array");
    }
    return node;
  }

  // ---------------------------------------------------------------------------------------------
  // Spooling the archive

  /** A spooled member of the archive and the digest of its content. */
  private record Blob(String member, Path file, long size, String algorithm, String digest) {}

  /** A layer to apply: how messages name it, and its content. */
  private record Layer(String name, Blob blob) {}

  /** A member name of the form {@code blobs/<algorithm>/<hex digest>}, for an algorithm checked here. */
  private record BlobPath(String algorithm, String digest) {

    static BlobPath parse(String path) {
      String[] parts = path.split("/", -1);
      if (parts.length != 3 || !parts[0].equals("blobs")) {
        return null;
      }
      BlobPath candidate = new BlobPath(parts[1], parts[2]);
      return candidate.wellFormed() ? candidate : null;
    }

    boolean wellFormed() {
      int length = switch (algorithm) {
        case "sha256" -> 64;
        case "sha512" -> 128;
        default -> -1;
      };
      return digest.length() == length && digest.chars().allMatch(c -> (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
    }

    String path() {
      return "blobs/" + algorithm + "/" + digest;
    }

    void verify(Blob blob) throws InvalidSourceException {
      // The spooled digest is that of the member the name led to, which a link may have redirected.
      if (!algorithm.equals(blob.algorithm()) || !digest.equals(blob.digest())) {
        throw new InvalidSourceException("blob " + algorithm + ":" + digest + " does not match its digest: member "
            + quote(blob.member()) + " hashes to " + blob.algorithm() + ":" + blob.digest());
      }
    }

    @Override
    public String toString() {
      return algorithm + ":" + digest;
    }
  }

  /** The members of the archive by normalised path: spooled files and the symlinks between them. */
  private static final class Members {

    private final Map<String, Blob> files = new HashMap<>();
    private final Map<String, String> symlinks = new HashMap<>();
    private final Path spool;
    private final byte[] buffer = new byte[BUFFER_SIZE];
    private final long maxBytes;
    private final LongSupplier received;
    private final long maxExpansionRatio;
    private long spooled;

    private Members(Path spool, long maxBytes, LongSupplier received, long maxExpansionRatio) {
      this.spool = spool;
      this.maxBytes = maxBytes;
      this.received = received;
      this.maxExpansionRatio = maxExpansionRatio;
    }

    /**
     * Spools the members of the archive, held while they are written to disk: at most
     * {@link #maxSpoolMembers} members, and at most {@link #maxSpoolBytes} bytes, nor more than the
     * expansion ratio allows. The member headers are checked before any byte of them is written.
     */
    static Members spool(InputStream in, Path spool, Limits limits, LongSupplier received, long maxExpansionRatio)
        throws IOException {
      long maxBytes = maxSpoolBytes(limits);
      Members members = new Members(spool, maxBytes, received, maxExpansionRatio);
      Limits spooling = new Limits(maxSpoolMembers(limits), maxBytes, maxBytes);
      ArchiveSource.open(in, null, spooling).walk(members::add);
      return members;
    }

    private void add(SourceEntry entry, InputStream content) throws IOException {
      String path = entry.path();
      // Later members replace earlier ones, as extracting the archive would.
      files.remove(path);
      symlinks.remove(path);
      switch (entry.type()) {
        case REGULAR -> files.put(path, spool(path, content));
        case HARDLINK -> files.put(path, files.get(entry.linkTarget()));
        case SYMLINK -> symlinks.put(path, entry.linkTarget());
        case DIRECTORY -> { }
      }
    }

    private Blob spool(String path, InputStream content) throws IOException {
      BlobPath named = BlobPath.parse(path);
      // Members not named by digest get one too, in case a descriptor reaches them through a link.
      String algorithm = named != null ? named.algorithm() : "sha256";
      MessageDigest digest = newDigest(algorithm);
      Path file = Files.createTempFile(spool, "member-", ".blob");
      long size = 0;
      try (OutputStream out = Files.newOutputStream(file)) {
        for (int n; (n = content.read(buffer)) >= 0; ) {
          spooled += n;
          if (spooled > maxBytes) {
            throw new LimitExceededException("image archive: its members hold more than the spool limit of "
                + maxBytes + " bytes");
          }
          long in = Math.max(received.getAsLong(), 1);
          if (spooled > SPOOL_SLACK && (spooled - 1) / Math.max(maxExpansionRatio, 1) >= in) {
            throw new LimitExceededException("image archive expands past " + maxExpansionRatio
                + " times its size while spooled (" + spooled + " bytes from " + in + ")");
          }
          digest.update(buffer, 0, n);
          out.write(buffer, 0, n);
          size += n;
        }
      }
      Blob blob = new Blob(path, file, size, algorithm, HexFormat.of().formatHex(digest.digest()));
      if (named != null) {
        named.verify(blob);
      }
      return blob;
    }

    /** The file at {@code path}, following symlinks of the archive; null when there is none. */
    Blob find(String path) throws InvalidSourceException {
      String current = path;
      for (int hop = 0; hop <= MAX_LINK_HOPS; hop++) {
        Blob blob = files.get(current);
        if (blob != null) {
          return blob;
        }
        String target = symlinks.get(current);
        if (target == null) {
          return null;
        }
        current = resolve(current, target);
        if (current == null) {
          return null;
        }
      }
      throw new InvalidSourceException("member " + quote(path) + " is a chain of more than " + MAX_LINK_HOPS
          + " symlinks");
    }

    /** The blob a descriptor names, checked against its digest and size; null when absent. */
    Blob findBlob(JsonNode descriptor, String what) throws InvalidSourceException {
      String digest = digestOf(descriptor, what);
      int colon = digest.indexOf(':');
      BlobPath named = colon < 0 ? null : new BlobPath(digest.substring(0, colon), digest.substring(colon + 1));
      if (named == null || !named.wellFormed()) {
        throw new InvalidSourceException(what + " has the digest " + quote(digest)
            + ", which is not a sha256 or sha512 digest in lowercase hex");
      }
      Blob blob = find(named.path());
      if (blob == null) {
        return null;
      }
      named.verify(blob);
      JsonNode size = descriptor.get("size");
      if (size != null && size.canConvertToLong() && size.asLong() != blob.size()) {
        throw new InvalidSourceException("blob " + named + " has " + blob.size() + " bytes, its descriptor says "
            + size.asLong());
      }
      return blob;
    }

    /** Like {@link #findBlob} but refusing an absent blob, naming it {@code what}. */
    Blob blob(JsonNode descriptor, String what) throws InvalidSourceException {
      Blob blob = findBlob(descriptor, what);
      if (blob == null) {
        throw new InvalidSourceException(what + " is not in the archive");
      }
      return blob;
    }

    /** The archive path a symlink at {@code link} points to; null when the target leaves the archive. */
    private static String resolve(String link, String target) {
      Deque<String> parts = new ArrayDeque<>();
      if (!target.startsWith("/")) {
        int slash = link.lastIndexOf('/');
        if (slash > 0) {
          parts.addAll(List.of(link.substring(0, slash).split("/")));
        }
      }
      for (String part : target.split("/")) {
        if (part.equals("..")) {
          if (parts.pollLast() == null) {
            return null;
          }
        } else if (!part.isEmpty() && !part.equals(".")) {
          parts.addLast(part);
        }
      }
      return String.join("/", parts);
    }
  }

  private static MessageDigest newDigest(String algorithm) {
    try {
      return MessageDigest.getInstance(algorithm.equals("sha512") ? "SHA-512" : "SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(path);
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Applying the layers

  /** What the layers above decided about a path. */
  private enum Decision {
    /** A directory entry: lower entries of the path are hidden, lower children merge. */
    DIRECTORY,
    /** A non-directory: the path and everything beneath it in lower layers is hidden. */
    OTHER,
    /** Only entries beneath it: a lower directory entry still provides the metadata. */
    IMPLIED_DIRECTORY
  }

  /** Ends a second pass over a layer once it has what it came for; the walk has no other exit. */
  private static final class EnoughRead extends RuntimeException {
    EnoughRead() {
      super(null, null, false, false);
    }
  }

  /**
   * What an entry adds to the tree: a file or a hard link its size (a link is one more copy in
   * the published tree), a symlink the length of its target.
   */
  static long treeBytes(SourceEntry entry) {
    return switch (entry.type()) {
      case REGULAR, HARDLINK -> entry.size();
      case SYMLINK -> EntryPaths.utf8Length(entry.linkTarget());
      case DIRECTORY -> 0;
    };
  }

  /** One pass over all the layers, uppermost first. */
  private final class Flattening {

    private final TreeVisitor visitor;
    private final Map<String, Decision> decided = new HashMap<>();
    /** Paths whited out by upper layers, hidden with everything beneath them. */
    private final Set<String> whiteouts = new HashSet<>();
    /** Directories whose lower content upper layers hid; the directories themselves stay. */
    private final Set<String> opaque = new HashSet<>();
    private long entries;
    private long totalBytes;
    private long hiddenEntries;
    private long hiddenBytes;

    Flattening(TreeVisitor visitor) {
      this.visitor = visitor;
    }

    void run(List<Layer> layers) throws IOException {
      for (int i = layers.size() - 1; i >= 0; i--) {
        Layer layer = layers.get(i);
        new LayerPass(layer, "layer " + (i + 1) + " of " + layers.size() + " (" + layer.name() + ")").run();
      }
    }

    /** Hands an entry of the flattened tree to the visitor, within the limits. */
    private void emit(SourceEntry entry, InputStream content) throws IOException {
      if (++entries > limits.maxEntries()) {
        throw new LimitExceededException("image expands past the limit of " + limits.maxEntries() + " entries");
      }
      if (entry.type() == EntryType.REGULAR && entry.size() > limits.maxFileSize()) {
        throw new LimitExceededException(
            "file " + quote(entry.path()) + " is larger than the limit of " + limits.maxFileSize() + " bytes");
      }
      long bytes = treeBytes(entry);
      if (bytes > limits.maxTotalBytes() - totalBytes) {
        throw new LimitExceededException("image expands past the limit of " + limits.maxTotalBytes() + " bytes");
      }
      totalBytes += bytes;
      visitor.visit(entry, content);
    }

    /** Counts an entry read but left out of the tree against the budget for those. */
    private void hide(SourceEntry entry) throws InvalidSourceException {
      if (++hiddenEntries > limits.maxEntries()) {
        throw new LimitExceededException("the layers hold more than " + limits.maxEntries()
            + " entries that upper layers replace or delete");
      }
      long bytes = treeBytes(entry);
      if (bytes > limits.maxTotalBytes() - hiddenBytes) {
        throw new LimitExceededException("the layers hold more than " + limits.maxTotalBytes()
            + " bytes of content that upper layers replace or delete");
      }
      hiddenBytes += bytes;
    }

    /**
     * One layer. Whatever it decides applies to the layers below only, never to its own entries,
     * so its decisions are collected here and merged once it has been read.
     */
    private final class LayerPass {

      private final Layer layer;
      private final String context;
      private final Map<String, Decision> placed = new HashMap<>();
      private final Set<String> newWhiteouts = new HashSet<>();
      private final Set<String> newOpaque = new HashSet<>();
      /** Regular files of this layer that upper layers hide, by path: their latest position. */
      private final Map<String, Integer> hiddenFiles = new HashMap<>();
      /** Hard links to hidden files, to be handed out as copies: link path to target position. */
      private final Map<String, Integer> copies = new LinkedHashMap<>();
      private int position;
      /** The failure of reading this layer's content inside the visitor, which gets the layer named. */
      private IOException contentFailure;
      /** A failure of the visitor or of the limits, passed on as it is. */
      private IOException passThrough;

      LayerPass(Layer layer, String context) {
        this.layer = layer;
        this.context = context;
      }

      void run() throws IOException {
        try {
          try (InputStream in = Files.newInputStream(layer.blob().file())) {
            ArchiveSource source = ArchiveSource.open(in, null, PER_LAYER, SpecialFiles.SKIP);
            source.onSkippedSpecialFile(this::special);
            source.walk((entry, content) -> guarded(() -> place(entry, content)));
          }
          if (!copies.isEmpty()) {
            copyHiddenTargets();
          }
        } catch (DanglingHardLinkException e) {
          throw new InvalidSourceException(context + ": hard link " + quote(e.path()) + " points to "
              + quote(e.target()) + ", which is not an earlier regular file of this layer;"
              + " hard links across layers are not supported", e);
        } catch (InvalidSourceException e) {
          if (e == passThrough) {
            throw e;
          }
          if (e instanceof LimitExceededException) {
            throw new LimitExceededException(context + ": " + e.getMessage());
          }
          throw new InvalidSourceException(context + ": " + e.getMessage(), e);
        }
        merge();
      }

      private void guarded(IoAction action) throws IOException {
        try {
          action.run();
        } catch (IOException e) {
          if (e != contentFailure) {
            passThrough = e;
          }
          throw e;
        }
      }

      private void place(SourceEntry entry, InputStream content) throws IOException {
        position++;
        String path = entry.path();
        if (isWhiteout(path)) {
          hide(entry);
          if (entry.type() == EntryType.REGULAR) {
            // AUFS kept hard-linked files under .wh..wh.plnk; links to them become copies.
            hiddenFiles.put(path, position);
          }
          return;
        }
        if (!visible(path, entry.type() == EntryType.DIRECTORY)) {
          hide(entry);
          if (entry.type() == EntryType.REGULAR) {
            hiddenFiles.put(path, position);
          }
          return;
        }
        copies.remove(path);
        placed.put(path, entry.type() == EntryType.DIRECTORY ? Decision.DIRECTORY : Decision.OTHER);
        if (entry.type() == EntryType.HARDLINK) {
          Integer target = hiddenFiles.get(entry.linkTarget());
          if (target != null) {
            // The consumer would link to the upper layer's file of that name; copy this layer's.
            copies.put(path, target);
            return;
          }
        }
        emit(entry, content == null ? null : new LayerContent(content));
      }

      /** A device or FIFO this layer holds, left out of the tree but still covering its path. */
      private void special(String path) {
        if (isWhiteout(path) || !visible(path, false)) {
          return;
        }
        copies.remove(path);
        placed.put(path, Decision.OTHER);
        skippedSpecialFiles++;
      }

      /** Records the whiteout an entry stands for; true when the entry is one and not content. */
      private boolean isWhiteout(String path) {
        int slash = path.lastIndexOf('/');
        String parent = slash < 0 ? "" : path.substring(0, slash);
        String name = path.substring(slash + 1);
        if (name.startsWith(WHITEOUT)) {
          if (name.equals(OPAQUE)) {
            newOpaque.add(parent);
          } else if (!name.startsWith(WHITEOUT + WHITEOUT) && name.length() > WHITEOUT.length()) {
            newWhiteouts.add(EntryPaths.child(parent, name.substring(WHITEOUT.length())));
          }
          // Other .wh..wh. names are AUFS bookkeeping, which hides nothing.
          return true;
        }
        // Beneath an AUFS bookkeeping directory such as .wh..wh.plnk.
        return parent.startsWith(WHITEOUT) || parent.contains("/" + WHITEOUT);
      }

      /**
       * Whether the upper layers leave {@code path} to this layer. A non-directory the layers
       * above replaced with a directory still removed what the layers below had beneath it, as
       * extracting it would, so it makes the path opaque for them.
       */
      private boolean visible(String path, boolean directory) {
        if (whiteouts.contains(path) || (!path.isEmpty() && opaque.contains(""))) {
          return false;
        }
        for (int slash = path.indexOf('/'); slash >= 0; slash = path.indexOf('/', slash + 1)) {
          String ancestor = path.substring(0, slash);
          if (decided.get(ancestor) == Decision.OTHER || whiteouts.contains(ancestor) || opaque.contains(ancestor)) {
            return false;
          }
        }
        Decision decision = decided.get(path);
        if (decision == null || (decision == Decision.IMPLIED_DIRECTORY && directory)) {
          return true;
        }
        if (!directory && decision != Decision.OTHER) {
          newOpaque.add(path);
        }
        return false;
      }

      /** A second pass over the layer for the content of hidden files that visible hard links need. */
      private void copyHiddenTargets() throws IOException {
        TreeMap<Integer, List<String>> wanted = new TreeMap<>();
        copies.forEach((link, target) -> wanted.computeIfAbsent(target, k -> new ArrayList<>()).add(link));
        int last = wanted.lastKey();
        int[] seen = {0};
        try (InputStream in = Files.newInputStream(layer.blob().file())) {
          ArchiveSource.open(in, null, PER_LAYER, SpecialFiles.SKIP).walk((entry, content) -> {
            List<String> links = wanted.get(++seen[0]);
            if (links != null) {
              guarded(() -> copy(entry, content, links));
            }
            if (seen[0] >= last) {
              throw new EnoughRead();
            }
          });
        } catch (EnoughRead done) {
          // Everything wanted was handed out.
        }
      }

      private void copy(SourceEntry target, InputStream content, List<String> links) throws IOException {
        if (target.type() != EntryType.REGULAR) {
          throw new IllegalStateException("layer read differently the second time: " + target.path());
        }
        String first = links.get(0);
        emit(new SourceEntry(first, EntryType.REGULAR, target.permissions(), target.size(), target.mtimeSeconds(),
            target.uid(), target.gid(), null), new LayerContent(content));
        for (String link : links.subList(1, links.size())) {
          emit(new SourceEntry(link, EntryType.HARDLINK, target.permissions(), target.size(), target.mtimeSeconds(),
              target.uid(), target.gid(), first), null);
        }
      }

      private void merge() {
        decided.putAll(placed);
        for (String path : placed.keySet()) {
          // Once merged, every decided path has its ancestors decided: the walk up can stop at a known one.
          String current = path;
          while (!current.isEmpty()) {
            int slash = current.lastIndexOf('/');
            String parent = slash < 0 ? "" : current.substring(0, slash);
            if (decided.putIfAbsent(parent, Decision.IMPLIED_DIRECTORY) != null) {
              break;
            }
            current = parent;
          }
        }
        whiteouts.addAll(newWhiteouts);
        opaque.addAll(newOpaque);
      }

      /** This layer's content as the visitor reads it; failures get the layer named. */
      private final class LayerContent extends FailureAwareInputStream {

        LayerContent(InputStream in) {
          super(in);
        }

        @Override
        protected void failed(IOException e) {
          contentFailure = e;
        }
      }
    }
  }

  @FunctionalInterface
  private interface IoAction {
    void run() throws IOException;
  }
}
