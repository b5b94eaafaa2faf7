package io.ephemeral.cvmfs.dataplane.verify;

import io.ephemeral.cvmfs.common.format.ContentHash;
import io.ephemeral.cvmfs.common.format.HashAlgorithm;
import io.ephemeral.cvmfs.common.format.ObjectKind;
import io.ephemeral.cvmfs.common.format.Pem;
import io.ephemeral.cvmfs.common.format.Signatures;
import io.ephemeral.cvmfs.common.format.SignedDocument;
import io.ephemeral.cvmfs.common.format.Whitelist;
import io.ephemeral.cvmfs.dataplane.format.CatalogCounters;
import io.ephemeral.cvmfs.dataplane.format.CatalogReader;
import io.ephemeral.cvmfs.dataplane.format.Chunk;
import io.ephemeral.cvmfs.dataplane.format.Compression;
import io.ephemeral.cvmfs.dataplane.format.DirectoryEntry;
import io.ephemeral.cvmfs.dataplane.format.EntryFlags;
import io.ephemeral.cvmfs.dataplane.format.Manifest;
import io.ephemeral.cvmfs.dataplane.format.PathHash;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.security.interfaces.RSAPublicKey;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * Checks a served repository end to end, in the order a client mounting it would meet the
 * problems (format.md 3.4, 5.3, 6.4), then everything a client could read later and a stratum 1 would
 * replicate: every catalog and every object. It stops at the first fault with a {@link
 * VerificationException} whose message says what is wrong and where.
 *
 * <p>Memory stays bounded: objects are streamed through the hash and the inflater and then
 * dropped, and only the catalogs on the current path of nested catalogs are on disk at a time.
 */
public final class RepositoryVerifier {

  private final RemoteRepository remote;
  private final List<PublicKey> masterKeys;
  private final Clock clock;

  /**
   * @param masterKeys the repository's master public keys; like the client, a whitelist verified
   *     by any one of them is accepted
   */
  public RepositoryVerifier(RemoteRepository remote, List<PublicKey> masterKeys) {
    this(remote, masterKeys, Clock.systemUTC());
  }

  /** @param clock the time the whitelist must not have expired at */
  public RepositoryVerifier(RemoteRepository remote, List<PublicKey> masterKeys, Clock clock) {
    if (masterKeys.isEmpty()) {
      throw new IllegalArgumentException("at least one master public key is needed to verify the whitelist");
    }
    this.remote = remote;
    this.masterKeys = List.copyOf(masterKeys);
    this.clock = clock;
  }

  /**
   * @throws VerificationException on the first fault of the repository (including objects the
   *     server does not deliver)
   * @throws IOException when local temporary files cannot be written
   */
  public VerificationResult verify() throws IOException {
    Path workDir = Files.createTempDirectory("cvmfs-verify-");
    try {
      return new Run(workDir).verify();
    } finally {
      deleteTree(workDir);
    }
  }

  static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path path : (Iterable<Path>) paths.sorted(Comparator.reverseOrder())::iterator) {
        Files.deleteIfExists(path);
      }
    }
  }

  private static VerificationException fault(String message) {
    return new VerificationException(message);
  }

  /** The state of one verification. */
  private final class Run {
    private final Path workDir;
    private final List<DirectoryEntry> entries = new ArrayList<>();
    /** Objects already checked, by name and compression, with the plain size they were checked against. */
    private final Map<String, Long> checkedObjects = new HashMap<>();
    private Manifest manifest;
    private int catalogs;

    Run(Path workDir) {
      this.workDir = workDir;
    }

    VerificationResult verify() throws IOException {
      SignedDocument manifestDocument = signedDocument("manifest", fetch("manifest", remote::fetchManifest));
      try {
        manifest = Manifest.parse(manifestDocument);
      } catch (IllegalArgumentException e) {
        throw fault("manifest: " + e.getMessage());
      }
      if (!remote.fqrn().equals(manifest.fqrn())) {
        throw fault("manifest: repository name mismatch (found " + manifest.fqrn() + ", expected " + remote.fqrn() + ")");
      }
      X509Certificate certificate = certificate();
      requireBodyHash("manifest", manifestDocument);
      if (!Signatures.verifyManifest(manifestDocument, certificate.getPublicKey())) {
        throw fault("manifest: signature does not verify with the key of certificate " + manifest.certificate());
      }
      verifyWhitelist(certificate);

      long catalogSize = manifest.catalogSize() > 0 ? manifest.catalogSize() : -1;
      verifyCatalog(manifest.rootCatalog(), catalogSize, "");

      verifyAuxiliaryObjects();
      return new VerificationResult(manifest, entries, catalogs, checkedObjects.size());
    }

    private X509Certificate certificate() throws IOException {
      ContentHash name = manifest.certificate();
      if (name == null) {
        throw fault("manifest: no X line, so the certificate cannot be fetched");
      }
      String what = "certificate " + name + ObjectKind.CERTIFICATE.suffix();
      byte[] pem = fetch(what, () -> remote.fetchObject(name, ObjectKind.CERTIFICATE, Compression.ZLIB, -1));
      checkedObjects.put(objectKey(name, ObjectKind.CERTIFICATE, Compression.ZLIB), (long) pem.length);
      String text = new String(pem, StandardCharsets.US_ASCII);
      // The client reads it with PEM_read_bio_X509_AUX: DER or other armour is rejected.
      if (!text.contains("-----BEGIN CERTIFICATE-----")) {
        throw fault(what + ": not a PEM certificate (no BEGIN CERTIFICATE line)");
      }
      X509Certificate certificate;
      try {
        certificate = Pem.readCertificate(text);
      } catch (IOException e) {
        throw fault(what + ": " + e.getMessage());
      }
      if (!(certificate.getPublicKey() instanceof RSAPublicKey)) {
        throw fault(what + ": the key is " + certificate.getPublicKey().getAlgorithm() + ", the client needs RSA");
      }
      return certificate;
    }

    private void verifyWhitelist(X509Certificate certificate) throws IOException {
      SignedDocument document = signedDocument("whitelist", fetch("whitelist", remote::fetchWhitelist));
      requireBodyHash("whitelist", document);
      if (masterKeys.stream().noneMatch(key -> Signatures.verifyWhitelist(document, key))) {
        throw fault("whitelist: invalid whitelist signature (it does not verify with "
            + (masterKeys.size() == 1 ? "the master public key" : "any of the " + masterKeys.size() + " master public keys")
            + ")");
      }
      Whitelist whitelist;
      try {
        whitelist = Whitelist.parse(document);
      } catch (IllegalArgumentException e) {
        throw fault("whitelist: " + e.getMessage());
      }
      Instant now = clock.instant();
      if (!now.isBefore(whitelist.clientExpiry())) {
        throw fault("whitelist: expired whitelist (clients stop accepting it at " + whitelist.clientExpiry()
            + ", the start of the hour of its E line " + whitelist.expires() + "; now is " + now + ")");
      }
      if (!remote.fqrn().equals(whitelist.fqrn())) {
        throw fault("whitelist: repository name mismatch on whitelist (found " + whitelist.fqrn() + ", expected "
            + remote.fqrn() + ")");
      }
      if (!whitelist.lists(certificate)) {
        throw fault("whitelist: certificate " + manifest.certificate() + " with fingerprint "
            + Whitelist.fingerprint(certificate, HashAlgorithm.SHA1) + " is not on the whitelist");
      }
    }

    private SignedDocument signedDocument(String what, byte[] file) throws VerificationException {
      try {
        return SignedDocument.parse(file);
      } catch (IllegalArgumentException e) {
        throw fault(what + ": " + e.getMessage());
      }
    }

    private void requireBodyHash(String what, SignedDocument document) throws VerificationException {
      if (!document.bodyMatchesHashLine()) {
        throw fault(what + ": the body does not hash to the hash line '" + document.hashLine() + "'");
      }
    }

    /**
     * Checks one catalog, then, in depth-first order, the objects of its files and its nested
     * catalogs.
     *
     * @return the counters of this catalog and everything below it, as the rows give them
     */
    private CatalogCounters verifyCatalog(ContentHash hash, long size, String prefix) throws IOException {
      String what = prefix.isEmpty() ? "root catalog " + hash + "C" : "nested catalog " + hash + "C for " + prefix;
      Path file = workDir.resolve(hash + "C");
      fetch(what, () -> remote.fetchObjectTo(hash, ObjectKind.CATALOG, Compression.ZLIB, size, file));
      checkedObjects.put(objectKey(hash, ObjectKind.CATALOG, Compression.ZLIB), Files.size(file));
      catalogs++;
      try {
        String headerFault = CatalogInspection.headerFault(file);
        if (headerFault != null) {
          throw fault(what + ": " + headerFault);
        }
        try (CatalogInspection inspection = CatalogInspection.open(file)) {
          requireSchemaShape(what, inspection);
          try (CatalogReader reader = CatalogReader.open(file)) {
            return new CatalogCheck(what, prefix, reader, inspection).run();
          }
        }
      } catch (VerificationException e) {
        throw e;
      } catch (IOException | RuntimeException e) {
        // Unreadable rows (invalid flags, hashes, numbers) surface from the reader as these.
        throw new VerificationException(what + ": " + e.getMessage(), e);
      } finally {
        Files.deleteIfExists(file);
      }
    }

    private void requireSchemaShape(String what, CatalogInspection inspection) throws IOException {
      Set<String> missingTables = new TreeSet<>(CatalogInspection.TABLES);
      missingTables.removeAll(inspection.tables());
      if (!missingTables.isEmpty()) {
        throw fault(what + ": missing table(s) " + missingTables);
      }
      Set<String> missingColumns = new TreeSet<>(CatalogInspection.CATALOG_COLUMNS);
      missingColumns.removeAll(inspection.catalogColumns());
      if (!missingColumns.isEmpty()) {
        throw fault(what + ": table catalog lacks column(s) " + missingColumns);
      }
    }

    /** The checks of one catalog, which need its reader while nested catalogs are checked. */
    private final class CatalogCheck {
      private final String what;
      private final String prefix;
      private final CatalogReader reader;
      private final CatalogInspection inspection;
      private final boolean isRoot;

      CatalogCheck(String what, String prefix, CatalogReader reader, CatalogInspection inspection) {
        this.what = what;
        this.prefix = prefix;
        this.reader = reader;
        this.inspection = inspection;
        this.isRoot = prefix.isEmpty();
      }

      CatalogCounters run() throws IOException {
        Map<String, String> properties;
        try {
          properties = reader.properties();
        } catch (SQLException e) {
          throw fault(what + ": cannot read properties: " + e.getMessage());
        }
        checkProperties(properties);
        Map<String, Long> statistics = reader.statistics();
        checkCounterNames(statistics);
        requireNoNulls("name");
        requireNoNulls("symlink");

        List<DirectoryEntry> rows = new ArrayList<>();
        rows.add(rootEntry());
        collect(rows.get(0), rows);
        long rowCount = reader.entryCount();
        if (rowCount != rows.size()) {
          throw fault(what + ": " + (rowCount - rows.size()) + " of its " + rowCount
              + " rows are not reachable from its root entry (wrong parent hashes, or below a missing directory)");
        }
        Map<String, CatalogReader.NestedCatalog> nested = nestedCatalogs(rows);

        CatalogCounters self = selfCounters(rows, nested.size());
        compareCounters("self_", statistics, self, "the rows of this catalog");

        CatalogCounters below = CatalogCounters.ZERO;
        for (DirectoryEntry entry : rows) {
          CatalogReader.NestedCatalog child = nested.get(entry.path());
          if (child != null && entry != rows.get(0)) {
            // The nested catalog lists the mountpoint again, as its root entry.
            below = below.plus(verifyCatalog(child.hash(), child.size(), child.path()));
            continue;
          }
          entries.add(entry);
          if (entry.isRegular()) {
            verifyContent(entry);
          }
        }
        compareCounters("subtree_", statistics, below, "the nested catalogs below it");
        return self.plus(below);
      }

      private void checkProperties(Map<String, String> properties) throws VerificationException {
        String schema = properties.get("schema");
        if (schema == null || !isNumber(schema, 2.5)) {
          throw fault(what + ": property schema is " + quote(schema) + ", expected 2.5");
        }
        String schemaRevision = properties.get("schema_revision");
        if (schemaRevision == null || !isNumber(schemaRevision, 7)) {
          throw fault(what + ": property schema_revision is " + quote(schemaRevision) + ", expected 7");
        }
        Long revision = longProperty(properties, "revision");
        Long lastModified = longProperty(properties, "last_modified");
        Long ttl = longProperty(properties, "TTL");
        if (ttl != null && ttl <= 0) {
          throw fault(what + ": property TTL is " + ttl + ", it must be positive");
        }
        String rootPrefix = properties.get("root_prefix");
        if (isRoot) {
          if (revision == null || revision != manifest.revision()) {
            throw fault(what + ": property revision is " + revision + ", but the manifest says S" + manifest.revision());
          }
          if (lastModified == null || lastModified > manifest.timestamp()) {
            throw fault(what + ": property last_modified is " + lastModified + ", it must not be after the manifest's T"
                + manifest.timestamp());
          }
          if (rootPrefix != null && !rootPrefix.isEmpty()) {
            throw fault(what + ": the root catalog has root_prefix " + quote(rootPrefix));
          }
        } else if (!prefix.equals(rootPrefix)) {
          throw fault(what + ": property root_prefix is " + quote(rootPrefix) + ", expected '" + prefix + "'");
        }
      }

      private Long longProperty(Map<String, String> properties, String key) throws VerificationException {
        String value = properties.get(key);
        if (value == null) {
          return null;
        }
        try {
          return Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
          throw fault(what + ": property " + key + " is " + quote(value) + ", not an integer");
        }
      }

      private void checkCounterNames(Map<String, Long> statistics) throws VerificationException {
        List<String> missing = new ArrayList<>();
        for (String set : List.of("self_", "subtree_")) {
          for (String name : CatalogCounters.NAMES) {
            if (!statistics.containsKey(set + name)) {
              missing.add(set + name);
            }
          }
        }
        if (!missing.isEmpty()) {
          throw fault(what + ": statistics lacks counter(s) " + missing + " (the client needs all 24)");
        }
      }

      private void requireNoNulls(String column) throws IOException {
        long nulls = inspection.count("SELECT count(*) FROM catalog WHERE " + column + " IS NULL");
        if (nulls > 0) {
          throw fault(what + ": " + nulls + " row(s) have a NULL " + column + " (the client calls strlen on it)");
        }
      }

      private DirectoryEntry rootEntry() throws IOException {
        List<CatalogInspection.RootRow> unnamed = inspection.rowsWithEmptyName();
        if (isRoot) {
          if (unnamed.isEmpty()) {
            throw fault(what + ": no root entry (a row with name '')");
          }
          if (unnamed.size() > 1) {
            throw fault(what + ": " + unnamed.size() + " rows with name ''; only the root entry may have it");
          }
          CatalogInspection.RootRow row = unnamed.get(0);
          PathHash key = PathHash.of("");
          if (row.md5path1() != key.high() || row.md5path2() != key.low()) {
            throw fault(what + ": the root entry is not keyed by the MD5 of the empty path");
          }
          if (row.parent1() != 0 || row.parent2() != 0) {
            throw fault(what + ": the root entry's parent is not 0/0");
          }
          if (row.flags() != EntryFlags.DIRECTORY) {
            throw fault(what + ": the root entry has flags " + row.flags() + ", expected 1");
          }
        } else if (!unnamed.isEmpty()) {
          throw fault(what + ": " + unnamed.size() + " row(s) with an empty name");
        }
        DirectoryEntry root = reader.lookup(prefix)
            .orElseThrow(() -> fault(what + ": no root entry for '" + prefix + "'"));
        if (!root.path().equals(prefix)) {
          throw fault(what + ": the root entry is named '" + root.name() + "', expected '"
              + prefix.substring(prefix.lastIndexOf('/') + 1) + "'");
        }
        if (!root.isDirectory() || (root.flags() & EntryFlags.DIRECTORY) == 0) {
          throw fault(what + ": the root entry is not a directory (mode " + Integer.toOctalString(root.mode())
              + ", flags " + root.flags() + ")");
        }
        if (!isRoot && (root.flags() & EntryFlags.NESTED_ROOT) == 0) {
          throw fault(what + ": the root entry has flags " + root.flags() + ", which lack the nested-catalog root bit 0x20");
        }
        return root;
      }

      /** Adds the rows below {@code directory} in this catalog, depth-first, sorted by name. */
      private void collect(DirectoryEntry directory, List<DirectoryEntry> rows) throws IOException {
        for (DirectoryEntry entry : reader.list(directory.path())) {
          checkEntry(entry);
          rows.add(entry);
          if (entry.isDirectory() && (entry.flags() & EntryFlags.NESTED_MOUNTPOINT) == 0) {
            collect(entry, rows);
          }
        }
      }

      private void checkEntry(DirectoryEntry entry) throws IOException {
        String path = entry.path();
        if (entry.name().isEmpty() || entry.name().indexOf('\0') >= 0) {
          throw fault(path + ": invalid name '" + entry.name() + "' (in " + what + ")");
        }
        Optional<DirectoryEntry> byKey = reader.lookup(path);
        if (byKey.isEmpty() || byKey.get().flags() != entry.flags() || byKey.get().mode() != entry.mode()) {
          throw fault(path + ": its row is not keyed by the MD5 of its path, so lookups cannot find it (in " + what + ")");
        }
        int flags = entry.flags();
        int type = entry.mode() & DirectoryEntry.S_IFMT;
        int kindFlags = flags & (EntryFlags.DIRECTORY | EntryFlags.FILE | EntryFlags.LINK | EntryFlags.SPECIAL);
        int expected = switch (type) {
          case DirectoryEntry.S_IFDIR -> EntryFlags.DIRECTORY;
          case DirectoryEntry.S_IFREG -> EntryFlags.FILE;
          case DirectoryEntry.S_IFLNK -> EntryFlags.FILE | EntryFlags.LINK;
          case 0010000, 0140000, 0020000, 0060000 -> EntryFlags.FILE | EntryFlags.SPECIAL;
          default -> throw fault(path + ": mode " + Integer.toOctalString(entry.mode()) + " has no valid file type");
        };
        if (kindFlags != expected) {
          throw fault(path + ": flags " + flags + " do not match mode " + Integer.toOctalString(entry.mode())
              + " (expected type bits " + expected + ")");
        }
        if ((flags & EntryFlags.NESTED_ROOT) != 0) {
          throw fault(path + ": nested-catalog root flag 0x20 on an entry that is not a catalog's root (in " + what + ")");
        }
        if ((entry.hardlinks() & 0xffffffffL) == 0) {
          throw fault(path + ": link count 0 in hardlinks " + entry.hardlinks());
        }
        if (entry.isRegular()) {
          checkRegular(entry);
        } else if (entry.isSymlink()) {
          long targetLength = entry.symlink().getBytes(StandardCharsets.UTF_8).length;
          if (targetLength == 0) {
            throw fault(path + ": symlink with an empty target");
          }
          if (entry.size() != targetLength) {
            throw fault(path + ": symlink size is " + entry.size() + ", but its target has " + targetLength + " bytes");
          }
        }
      }

      private void checkRegular(DirectoryEntry entry) throws VerificationException {
        String path = entry.path();
        int flags = entry.flags();
        if ((flags & EntryFlags.EXTERNAL) != 0) {
          throw fault(path + ": external file (flag 0x80); its content is not in the repository");
        }
        if (((flags >> 11) & 0x7) > 1) {
          throw fault(path + ": unknown compression " + ((flags >> 11) & 0x7) + " in flags " + flags);
        }
        if (entry.size() < 0) {
          throw fault(path + ": negative size " + entry.size());
        }
        if (!entry.isChunked()) {
          if (entry.hash() == null) {
            throw fault(path + ": regular file without a content hash");
          }
          return;
        }
        if (entry.chunks().isEmpty()) {
          throw fault(path + ": chunked file without chunks");
        }
        long next = 0;
        for (Chunk chunk : entry.chunks()) {
          if (chunk.offset() != next || chunk.size() <= 0) {
            throw fault(path + ": chunk at offset " + chunk.offset() + " of size " + chunk.size() + " where offset "
                + next + " was expected; chunks must be contiguous from 0");
          }
          next += chunk.size();
        }
        if (next != entry.size()) {
          throw fault(path + ": chunks cover " + next + " bytes, but the file has " + entry.size());
        }
      }

      /** Pairs mountpoint entries with rows of {@code nested_catalogs}; each needs the other (format.md 7.9). */
      private Map<String, CatalogReader.NestedCatalog> nestedCatalogs(List<DirectoryEntry> rows) throws IOException {
        Map<String, CatalogReader.NestedCatalog> nested = new LinkedHashMap<>();
        for (CatalogReader.NestedCatalog row : reader.nestedCatalogs()) {
          nested.put(row.path(), row);
        }
        Set<String> unpaired = new TreeSet<>(nested.keySet());
        for (DirectoryEntry entry : rows.subList(1, rows.size())) {
          if ((entry.flags() & EntryFlags.NESTED_MOUNTPOINT) == 0) {
            continue;
          }
          if (!entry.isDirectory()) {
            throw fault(entry.path() + ": nested-catalog mountpoint flag on a non-directory");
          }
          if (!unpaired.remove(entry.path())) {
            throw fault(entry.path() + ": marked as nested-catalog mountpoint, but " + what
                + " has no nested_catalogs row for it");
          }
        }
        if (!unpaired.isEmpty()) {
          throw fault(what + ": nested_catalogs lists " + unpaired
              + " without a directory entry flagged as mountpoint (flags bit 0x2)");
        }
        return nested;
      }

      private CatalogCounters selfCounters(List<DirectoryEntry> rows, int nestedRows) throws IOException {
        CatalogCounters counters = CatalogCounters.ZERO;
        for (DirectoryEntry entry : rows) {
          counters = counters.plus(entry);
        }
        long chunkRows = inspection.count("SELECT count(*) FROM chunks");
        if (chunkRows != counters.chunks()) {
          throw fault(what + ": table chunks has " + chunkRows + " rows, but its chunked files have " + counters.chunks()
              + " chunks");
        }
        long[] values = counters.withNested(nestedRows).values();
        values[CatalogCounters.NAMES.indexOf("xattr")] = inspection.count(
            "SELECT count(*) FROM catalog WHERE xattr IS NOT NULL");
        return CatalogCounters.fromValues(values);
      }

      private void compareCounters(String set, Map<String, Long> statistics, CatalogCounters actual, String source)
          throws VerificationException {
        long[] values = actual.values();
        for (int i = 0; i < values.length; i++) {
          String name = set + CatalogCounters.NAMES.get(i);
          long stored = statistics.get(name);
          if (stored != values[i]) {
            throw fault(what + ": statistics counter " + name + " is " + stored + ", but " + source + " give "
                + values[i]);
          }
        }
      }
    }

    private void verifyContent(DirectoryEntry entry) throws IOException {
      Compression compression = entry.compression();
      // A chunked file may also carry a whole-file ("bulk") hash; a stratum 1 replicates that object too.
      if (entry.hash() != null) {
        checkObject(entry.path(), entry.hash(), ObjectKind.FILE, compression, entry.size());
      }
      for (Chunk chunk : entry.chunks()) {
        checkObject(entry.path() + " (chunk at offset " + chunk.offset() + ")", chunk.hash(), ObjectKind.CHUNK,
            compression, chunk.size());
      }
    }

    private void checkObject(String what, ContentHash hash, ObjectKind kind, Compression compression, long size)
        throws IOException {
      String key = objectKey(hash, kind, compression);
      Long checkedSize = checkedObjects.get(key);
      if (checkedSize != null) {
        if (checkedSize != size) {
          throw fault(what + ": object " + hash + kind.suffix() + " has " + checkedSize
              + " plain bytes, but this entry records " + size);
        }
        return;
      }
      fetch(what, () -> remote.fetchObject(hash, kind, compression, size, OutputStream.nullOutputStream()));
      checkedObjects.put(key, size);
    }

    /** History, meta-information and reflog: not needed to mount, but replicated and used by tooling. */
    private void verifyAuxiliaryObjects() throws IOException {
      if (manifest.history() != null) {
        ContentHash hash = manifest.history();
        byte[] history = fetch("history database " + hash + "H",
            () -> remote.fetchObject(hash, ObjectKind.HISTORY, Compression.ZLIB, -1));
        if (!new String(history, 0, Math.min(history.length, 15), StandardCharsets.US_ASCII).equals("SQLite format 3")) {
          throw fault("history database " + hash + "H: not an SQLite database");
        }
        checkedObjects.put(objectKey(hash, ObjectKind.HISTORY, Compression.ZLIB), (long) history.length);
      }
      if (manifest.metainfo() != null) {
        ContentHash hash = manifest.metainfo();
        byte[] metainfo = fetch("meta-info " + hash + "M",
            () -> remote.fetchObject(hash, ObjectKind.METAINFO, Compression.ZLIB, -1));
        checkedObjects.put(objectKey(hash, ObjectKind.METAINFO, Compression.ZLIB), (long) metainfo.length);
      }
      if (manifest.reflog() != null) {
        ContentHash expected = manifest.reflog();
        byte[] reflog = fetch("reflog", () -> remote.fetchFile(".cvmfsreflog"));
        ContentHash actual = expected.algorithm().hash(reflog);
        if (!actual.equals(expected)) {
          throw fault("reflog: .cvmfsreflog hashes to " + actual + ", but the manifest says Y" + expected);
        }
      }
    }

    /** Runs a download, prefixing any failure with what was being fetched. */
    private <T> T fetch(String what, Download<T> download) throws IOException {
      try {
        return download.run();
      } catch (InterruptedIOException e) {
        throw e;
      } catch (IOException e) {
        throw new VerificationException(what + ": " + e.getMessage(), e);
      }
    }
  }

  private static String objectKey(ContentHash hash, ObjectKind kind, Compression compression) {
    return hash + kind.suffix() + "/" + compression;
  }

  private static boolean isNumber(String value, double expected) {
    try {
      return Double.parseDouble(value.trim()) == expected;
    } catch (NumberFormatException e) {
      return false;
    }
  }

  private static String quote(String value) {
    return value == null ? "missing" : "'" + value + "'";
  }

  @FunctionalInterface
  private interface Download<T> {
    T run() throws IOException;
  }
}
