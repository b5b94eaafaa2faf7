package io.ephemeral.cvmfs.dataplane.publish.source;

import static io.ephemeral.cvmfs.dataplane.publish.source.EntryPaths.quote;

import com.fasterxml.jackson.databind.JsonNode;
import io.ephemeral.cvmfs.dataplane.publish.source.ArchiveSource.Limits;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * The members of an image archive by normalised path: each regular member spooled to a file of a
 * private directory, with the digest of its content, and the symlinks between members. Spooling is
 * bounded by the member count, the bytes written and the expansion ratio over what was received.
 */
final class ImageMembers {

  private static final int MAX_LINK_HOPS = 16;
  private static final int BUFFER_SIZE = 64 * 1024;
  /** Spooled bytes below which the expansion ratio is not applied: small archives compress well. */
  private static final long SPOOL_SLACK = 1 << 20;

  /** A spooled member of the archive and the digest of its content. */
  record Blob(String member, Path file, long size, String algorithm, String digest) {}

  private final Map<String, Blob> files = new HashMap<>();
  private final Map<String, String> symlinks = new HashMap<>();
  private final Path spool;
  private final byte[] buffer = new byte[BUFFER_SIZE];
  private final long maxBytes;
  private final LongSupplier received;
  private final long maxExpansionRatio;
  private long spooled;

  private ImageMembers(Path spool, long maxBytes, LongSupplier received, long maxExpansionRatio) {
    this.spool = spool;
    this.maxBytes = maxBytes;
    this.received = received;
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
   * Spools the members of the archive, held while they are written to disk: at most
   * {@link #maxSpoolMembers} members, and at most {@link #maxSpoolBytes} bytes, nor more than the
   * expansion ratio allows. The member headers are checked before any byte of them is written.
   */
  static ImageMembers spool(InputStream in, Path spool, Limits limits, LongSupplier received, long maxExpansionRatio)
      throws IOException {
    long maxBytes = maxSpoolBytes(limits);
    ImageMembers members = new ImageMembers(spool, maxBytes, received, maxExpansionRatio);
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

  /**
   * The file at a layer path of {@code manifest.json}, refused when absent; newer Docker names
   * layers by digest, and such a name is held to it as an OCI layout would be.
   */
  Blob layer(String path, String listedIn) throws InvalidSourceException {
    Blob blob = find(path);
    if (blob == null) {
      throw new InvalidSourceException("layer " + quote(path) + " listed in " + listedIn + " is not in the archive");
    }
    BlobPath named = BlobPath.parse(path);
    if (named != null) {
      named.verify(blob);
    }
    return blob;
  }

  /** The blob a descriptor names, checked against its digest and size; null when absent. */
  Blob findBlob(JsonNode descriptor, String what) throws InvalidSourceException {
    String digest = ImageManifests.digestOf(descriptor, what);
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

  private static MessageDigest newDigest(String algorithm) {
    try {
      return MessageDigest.getInstance(algorithm.equals("sha512") ? "SHA-512" : "SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

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
}
