package io.ephemeral.cvmfs.dataplane.verify;

import io.ephemeral.cvmfs.common.format.ContentHash;
import io.ephemeral.cvmfs.common.format.ObjectKind;
import io.ephemeral.cvmfs.common.format.SignedDocument;
import io.ephemeral.cvmfs.dataplane.format.CatalogReader;
import io.ephemeral.cvmfs.dataplane.format.Chunk;
import io.ephemeral.cvmfs.dataplane.format.Compression;
import io.ephemeral.cvmfs.dataplane.format.DirectoryEntry;
import io.ephemeral.cvmfs.dataplane.format.EntryFlags;
import io.ephemeral.cvmfs.dataplane.format.Manifest;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Reads entries and file contents of a served repository by path, the way a client resolves
 * them: from the root catalog of the current manifest down through nested catalogs. Every object
 * is hash- and size-checked as it is downloaded; signatures are not checked here (that is {@link
 * RepositoryVerifier}'s job). Catalogs are cached in a temporary directory removed by {@link
 * #close()}. Not thread-safe.
 */
public final class RepositoryReader implements AutoCloseable {

  /** Objects up to this plain size are buffered in memory, larger ones in a temporary file. */
  private static final long IN_MEMORY_LIMIT = 16 << 20;

  private final RemoteRepository remote;
  private final Manifest manifest;
  private final Path workDir;
  private final Map<String, CatalogReader> catalogs = new HashMap<>();
  private int tempFiles;

  private RepositoryReader(RemoteRepository remote, Manifest manifest, Path workDir) {
    this.remote = remote;
    this.manifest = manifest;
    this.workDir = workDir;
  }

  /** Fetches the manifest and the root catalog. */
  public static RepositoryReader open(RemoteRepository remote) throws IOException {
    Manifest manifest;
    try {
      manifest = Manifest.parse(SignedDocument.parse(remote.fetchManifest()));
    } catch (IllegalArgumentException e) {
      throw new VerificationException("manifest: " + e.getMessage(), e);
    }
    Path workDir = Files.createTempDirectory("cvmfs-read-");
    RepositoryReader reader = new RepositoryReader(remote, manifest, workDir);
    try {
      reader.catalog("", manifest.rootCatalog(), manifest.catalogSize() > 0 ? manifest.catalogSize() : -1);
      return reader;
    } catch (IOException | RuntimeException e) {
      reader.close();
      throw e;
    }
  }

  public Manifest manifest() {
    return manifest;
  }

  /**
   * The entry at {@code path} ({@code /} or {@code ""} for the root, else {@code /a/b}). For a
   * nested catalog's mountpoint this is the nested catalog's root entry, as the client sees it.
   */
  public Optional<DirectoryEntry> lookup(String path) throws IOException {
    return resolve(normalize(path)).entry();
  }

  /** The entries directly inside directory {@code path}, sorted by name. */
  public List<DirectoryEntry> list(String path) throws IOException {
    String normalized = normalize(path);
    Resolution resolution = resolve(normalized);
    DirectoryEntry directory = resolution.entry().orElseThrow(() -> noSuchFile(normalized));
    if (!directory.isDirectory()) {
      throw new IOException(display(normalized) + " is not a directory");
    }
    return resolution.catalog().list(normalized);
  }

  /**
   * The content of the regular file at {@code path}; chunks are fetched one at a time as the
   * stream reaches them. A failed check surfaces from {@code read} as a {@link
   * VerificationException}, before any byte of the failing object is returned.
   */
  public InputStream open(String path) throws IOException {
    String normalized = normalize(path);
    DirectoryEntry entry = require(normalized);
    if (!entry.isRegular()) {
      throw new IOException(display(normalized) + " is not a regular file");
    }
    List<Piece> pieces = new ArrayList<>();
    if (entry.isChunked()) {
      for (Chunk chunk : entry.chunks()) {
        pieces.add(new Piece(chunk.hash(), ObjectKind.CHUNK, chunk.size()));
      }
    } else if (entry.hash() != null) {
      pieces.add(new Piece(entry.hash(), ObjectKind.FILE, entry.size()));
    } else {
      throw new VerificationException(display(normalized) + ": regular file without a content hash");
    }
    return new ContentStream(pieces, entry.compression());
  }

  /** The whole content of a regular file; for files that fit in memory. */
  public byte[] readAllBytes(String path) throws IOException {
    try (InputStream in = open(path)) {
      return in.readAllBytes();
    }
  }

  private DirectoryEntry require(String path) throws IOException {
    return resolve(path).entry().orElseThrow(() -> noSuchFile(path));
  }

  private NoSuchFileException noSuchFile(String path) {
    return new NoSuchFileException(display(path), null, "not in " + remote.fqrn());
  }

  /**
   * Walks down from the root catalog one path component at a time, switching to a nested catalog
   * at each mountpoint, as the client does.
   */
  private Resolution resolve(String path) throws IOException {
    CatalogReader catalog = catalogs.get("");
    int from = 1;
    while (from <= path.length()) {
      int slash = path.indexOf('/', from);
      String prefix = slash < 0 ? path : path.substring(0, slash);
      Optional<DirectoryEntry> entry = catalog.lookup(prefix);
      if (entry.isEmpty()) {
        return new Resolution(catalog, Optional.empty());
      }
      if ((entry.get().flags() & EntryFlags.NESTED_MOUNTPOINT) != 0) {
        catalog = nestedCatalog(catalog, prefix);
      }
      from = prefix.length() + 1;
    }
    return new Resolution(catalog, catalog.lookup(path));
  }

  private CatalogReader nestedCatalog(CatalogReader parent, String mountpoint) throws IOException {
    CatalogReader cached = catalogs.get(mountpoint);
    if (cached != null) {
      return cached;
    }
    for (CatalogReader.NestedCatalog row : parent.nestedCatalogs()) {
      if (row.path().equals(mountpoint)) {
        return catalog(mountpoint, row.hash(), row.size());
      }
    }
    throw new VerificationException(mountpoint + " is a nested-catalog mountpoint without a nested_catalogs row");
  }

  private CatalogReader catalog(String prefix, ContentHash hash, long size) throws IOException {
    Path file = remote.fetchObjectTo(hash, ObjectKind.CATALOG, Compression.ZLIB, size, workDir.resolve(hash + "C"));
    CatalogReader reader = CatalogReader.open(file);
    catalogs.put(prefix, reader);
    return reader;
  }

  private static String normalize(String path) {
    String normalized = path;
    while (normalized.endsWith("/")) {
      normalized = normalized.substring(0, normalized.length() - 1);
    }
    if (!normalized.isEmpty() && !normalized.startsWith("/")) {
      throw new IllegalArgumentException("repository paths start with '/': " + path);
    }
    return normalized;
  }

  private static String display(String path) {
    return EntryListing.displayPath(path);
  }

  @Override
  public void close() throws IOException {
    IOException failure = null;
    for (CatalogReader catalog : catalogs.values()) {
      try {
        catalog.close();
      } catch (IOException e) {
        failure = e;
      }
    }
    catalogs.clear();
    RepositoryVerifier.deleteTree(workDir);
    if (failure != null) {
      throw failure;
    }
  }

  /** The catalog that holds {@code entry} and, for a directory, its children. */
  private record Resolution(CatalogReader catalog, Optional<DirectoryEntry> entry) {}

  private record Piece(ContentHash hash, ObjectKind kind, long size) {}

  /** Concatenates checked objects, fetching each only when the previous one is used up. */
  private final class ContentStream extends InputStream {
    private final List<Piece> pieces;
    private final Compression compression;
    private int next;
    private InputStream current = InputStream.nullInputStream();

    ContentStream(List<Piece> pieces, Compression compression) {
      this.pieces = pieces;
      this.compression = compression;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
      if (length == 0) {
        return 0;
      }
      while (true) {
        int n = current.read(buffer, offset, length);
        if (n >= 0) {
          return n;
        }
        if (next == pieces.size()) {
          return -1;
        }
        current.close();
        current = fetch(pieces.get(next++));
      }
    }

    /** Downloads a whole object before handing out any of it, so only checked bytes are returned. */
    private InputStream fetch(Piece piece) throws IOException {
      if (piece.size() <= IN_MEMORY_LIMIT) {
        return new ByteArrayInputStream(remote.fetchObject(piece.hash(), piece.kind(), compression, piece.size()));
      }
      Path file = workDir.resolve("content-" + tempFiles++);
      remote.fetchObjectTo(piece.hash(), piece.kind(), compression, piece.size(), file);
      return Files.newInputStream(file, StandardOpenOption.DELETE_ON_CLOSE);
    }

    @Override
    public void close() throws IOException {
      next = pieces.size();
      current.close();
    }
  }
}
