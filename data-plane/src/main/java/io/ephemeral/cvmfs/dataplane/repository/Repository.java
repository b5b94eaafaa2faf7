package io.ephemeral.cvmfs.dataplane.repository;

import io.ephemeral.cvmfs.common.format.ContentHash;
import io.ephemeral.cvmfs.common.format.ObjectKind;
import io.ephemeral.cvmfs.common.format.Signatures;
import io.ephemeral.cvmfs.common.format.SignedDocument;
import io.ephemeral.cvmfs.common.format.Whitelist;
import io.ephemeral.cvmfs.dataplane.format.Compression;
import io.ephemeral.cvmfs.dataplane.format.HistoryDatabase;
import io.ephemeral.cvmfs.dataplane.format.Manifest;
import io.ephemeral.cvmfs.dataplane.format.ObjectEncoder;
import io.ephemeral.cvmfs.dataplane.format.Reflog;
import io.ephemeral.cvmfs.dataplane.storage.ObjectStore;
import io.ephemeral.cvmfs.dataplane.storage.RepositoryStorage;
import io.ephemeral.cvmfs.dataplane.storage.StorageBackend;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * One repository, opened by exactly one process at a time (a lock file under its state
 * directory, and the storage's own writer lease). It owns the keys, the object store, the state
 * database and the files at the top of the served tree; revisions are committed through {@link
 * #recordRevision}. The process works in its data directory; a remote {@link RepositoryStorage}
 * is restored from at open and saved to at every change, so that the directory holds nothing
 * another process could not rebuild from it.
 */
public final class Repository implements AutoCloseable {

  public static final String MANIFEST = ".cvmfspublished";
  public static final String WHITELIST = ".cvmfswhitelist";
  public static final String REFLOG = ".cvmfsreflog";
  public static final String MASTER_REPLICA = ".cvmfs_master_replica";

  /** Validity of whitelists signed here, as cvmfs_server's default with a master key file. */
  public static final Duration WHITELIST_VALIDITY = Duration.ofDays(30);

  private final String fqrn;
  private final DataLayout layout;
  private final RepositoryOptions options;
  private final RepositoryKeys keys;
  private final boolean freshKeys;
  private final RepositoryStorage storage;
  private final ObjectStore objects;
  private final StateStore state;
  private final Reflog reflog;
  private final ContentHash certificateObject;
  private final Clock clock;
  private final long minRevision;
  private final FileChannel lockChannel;
  private final FileLock lock;
  private final ActiveWrites activeWrites = new ActiveWrites();

  private Repository(Builder b, FileChannel lockChannel, FileLock lock, RepositoryOptions options, RepositoryKeys keys,
      boolean freshKeys, RepositoryStorage storage, StateStore state, Reflog reflog, ContentHash certificateObject) {
    this.fqrn = b.fqrn;
    this.layout = b.layout;
    this.clock = b.clock;
    this.minRevision = b.minRevision;
    this.lockChannel = lockChannel;
    this.lock = lock;
    this.options = options;
    this.keys = keys;
    this.freshKeys = freshKeys;
    this.storage = storage;
    this.objects = storage.objects();
    this.state = state;
    this.reflog = reflog;
    this.certificateObject = certificateObject;
  }

  /**
   * The options a repository was created with, read without opening it (and so without its
   * lock); empty if it was never opened.
   */
  public static Optional<RepositoryOptions> storedOptions(DataLayout layout, String fqrn) throws IOException {
    Path file = layout.state(Fqrn.require(fqrn)).resolve("options.json");
    return OptionsFile.exists(file) ? Optional.of(OptionsFile.read(file)) : Optional.empty();
  }

  public static Builder at(DataLayout layout, String fqrn) {
    return new Builder(layout, Fqrn.require(fqrn));
  }

  public String fqrn() {
    return fqrn;
  }

  public DataLayout layout() {
    return layout;
  }

  public RepositoryOptions options() {
    return options;
  }

  public RepositoryKeys keys() {
    return keys;
  }

  public ObjectStore objects() {
    return objects;
  }

  /** Where the repository is kept, for messages. */
  public String storageDescription() {
    return storage.describe();
  }

  /** The name this process writes the repository under, where other processes may follow it. */
  public Optional<String> writer() {
    return storage.writer();
  }

  public Clock clock() {
    return clock;
  }

  /** The object-store writes under way, which garbage collection must not race with. */
  public ActiveWrites activeWrites() {
    return activeWrites;
  }

  /** The certificate object the manifest names. */
  public ContentHash certificateObject() {
    return certificateObject;
  }

  /** The root catalogs in the reflog and when each became current. */
  public synchronized List<Reflog.Entry> reflogCatalogs() throws IOException {
    return reflog.entries(Reflog.RefType.CATALOG);
  }

  /**
   * Removes collected root catalogs from the reflog. The served copy keeps them until the next
   * revision, so that it still matches the digest in the current manifest.
   */
  public synchronized void forgetCatalogs(Collection<ContentHash> catalogs) throws IOException {
    reflog.remove(catalogs);
  }

  public Path served() {
    return layout.served(fqrn);
  }

  /** A scratch directory on the same file system as the store, outside the served tree. */
  public Path scratch() throws IOException {
    return Files.createDirectories(layout.scratch(fqrn));
  }

  /**
   * Where the plain database of the last root catalog built is kept, so that the next one can
   * start as a copy of it. Only a cache: a new process builds its first root afresh.
   */
  public Path lastRootCatalog() {
    return layout.state(fqrn).resolve("root-catalog.db");
  }

  public Optional<Head> head() throws IOException {
    return state.head();
  }

  public List<Publication> publications() throws IOException {
    return state.publications();
  }

  /**
   * The revision number for the next commit. Revisions never go back: a repository whose keys
   * existed before its state (a restart on an empty volume) starts at the current Unix time in
   * milliseconds, above anything it can have served unless it committed more than a thousand
   * revisions a second; {@code --min-revision} raises the floor further.
   */
  public long nextRevision() throws IOException {
    Optional<Head> head = state.head();
    long floor = head.isPresent() ? head.get().revision() + 1 : (freshKeys ? 1 : clock.millis());
    return Math.max(floor, minRevision);
  }

  /** The publication time of the next commit: now, but never before the last one. */
  public long nextTimestamp() throws IOException {
    long now = clock.instant().getEpochSecond();
    return state.head().map(head -> Math.max(now, head.timestamp())).orElse(now);
  }

  /**
   * Makes a revision durable and visible: the state database first (the commit point), then the
   * reflog, then the manifest, each replaced atomically. The root catalog object must be stored.
   */
  public synchronized void recordRevision(Head head, Collection<Publication> upserts, Collection<String> removals)
      throws IOException {
    if (!objects.contains(head.rootCatalog(), ObjectKind.CATALOG)) {
      throw new IOException("root catalog " + head.rootCatalog() + " is not stored");
    }
    state.commit(head, upserts, removals);
    saveState();
    publishManifest(head);
  }

  /** The history object the manifest names while tags exist. */
  public Optional<ContentHash> history() throws IOException {
    return state.history();
  }

  /** The tags, oldest first. */
  public List<Tag> tags() throws IOException {
    return state.tags();
  }

  /**
   * Names the current revision {@code name}: its root catalog and publications are kept for
   * mounting by name and for a rollback, and a new history object lists it. The manifest is
   * signed again with the new history; the revision stays.
   *
   * @throws IllegalStateException if the name is taken
   */
  public synchronized Tag tag(String name, String description) throws IOException {
    Head head = state.head().orElseThrow(() -> new IOException("repository " + fqrn + " has no revision yet"));
    List<Tag> tags = new ArrayList<>(state.tags());
    if (tags.stream().anyMatch(tag -> tag.name().equals(name))) {
      throw new IllegalStateException("the tag " + name + " exists already");
    }
    Tag tag = new Tag(name, head.revision(), head.rootCatalog(), head.catalogSize(), clock.instant().getEpochSecond(),
        description, state.publications());
    tags.add(tag);
    state.changeTags(tag, null, storeHistory(tags));
    saveState();
    publishManifest(head);
    return tag;
  }

  /** Removes the tag {@code name}; returns false when there is none. */
  public synchronized boolean untag(String name) throws IOException {
    List<Tag> tags = new ArrayList<>(state.tags());
    if (!tags.removeIf(tag -> tag.name().equals(name))) {
      return false;
    }
    state.changeTags(null, name, tags.isEmpty() ? null : storeHistory(tags));
    saveState();
    Optional<Head> head = state.head();
    if (head.isPresent()) {
      publishManifest(head.get());
    }
    return true;
  }

  /** Writes the history database listing {@code tags} and stores it as an object. */
  private ContentHash storeHistory(List<Tag> tags) throws IOException {
    Path file = scratch().resolve("history-" + UUID.randomUUID() + ".db");
    try {
      HistoryDatabase.write(file, fqrn, tags.stream().map(tag -> new HistoryDatabase.Row(tag.name(), tag.rootCatalog(),
          tag.revision(), tag.timestamp(), tag.description(), tag.catalogSize())).toList());
      ContentHash history = objects.putCompressedFile(file, ObjectKind.HISTORY, options.hash()).hash();
      reflog.add(history, Reflog.RefType.HISTORY, clock.instant().getEpochSecond());
      return history;
    } finally {
      Files.deleteIfExists(file);
    }
  }

  /** Records a changed publication that needs no new revision (its expiry). */
  public synchronized void updatePublication(Publication publication) throws IOException {
    Head head = state.head().orElseThrow(() -> new IOException("repository " + fqrn + " has no revision yet"));
    state.commit(head, List.of(publication), List.of());
    saveState();
  }

  /** Hands a copy of the state database to a remote storage; the local transaction is already durable. */
  private void saveState() throws IOException {
    if (!storage.isRemote()) {
      return;
    }
    Path snapshot = scratch().resolve("state-" + UUID.randomUUID() + ".db");
    try {
      state.snapshotTo(snapshot);
      storage.saveState("state.db", snapshot);
    } finally {
      Files.deleteIfExists(snapshot);
    }
  }

  /**
   * Replaces the top-level served file {@code name} (the manifest, whitelist, reflog): atomically
   * in the working directory, then in the storage.
   */
  public void writeServed(String name, byte[] content) throws IOException {
    AtomicFiles.write(served().resolve(name), content);
    storage.saveServed(name, content);
  }

  private void publishManifest(Head head) throws IOException {
    reflog.add(head.rootCatalog(), Reflog.RefType.CATALOG, head.timestamp());
    reflog.add(certificateObject, Reflog.RefType.CERTIFICATE, head.timestamp());
    // Read once: the bytes served are the bytes the manifest's Y names.
    byte[] reflogBytes = Files.readAllBytes(reflogFile());
    writeServed(REFLOG, reflogBytes);
    ContentHash reflogDigest = options.hash().hash(reflogBytes);
    Manifest manifest = new Manifest(head.rootCatalog(), head.catalogSize(), options.manifestTtl(), head.revision(), true,
        fqrn, certificateObject, state.history().orElse(null), head.timestamp(), null, reflogDigest);
    writeServed(MANIFEST, manifest.sign(Signatures.manifestSigner(keys.repositoryKey())).toBytes());
  }

  /** The served manifest, parsed, or empty if there is none yet. */
  public Optional<Manifest> servedManifest() throws IOException {
    Path file = served().resolve(MANIFEST);
    if (!Files.exists(file)) {
      return Optional.empty();
    }
    return Optional.of(Manifest.parse(SignedDocument.parse(Files.readAllBytes(file))));
  }

  /** The served whitelist, parsed, or empty if there is none yet. */
  public Optional<Whitelist> servedWhitelist() throws IOException {
    Path file = served().resolve(WHITELIST);
    if (!Files.exists(file)) {
      return Optional.empty();
    }
    return Optional.of(Whitelist.parse(SignedDocument.parse(Files.readAllBytes(file))));
  }

  /** Signs a new whitelist listing this repository's certificate; needs the master key. */
  public Whitelist resignWhitelist(Duration validity) throws IOException {
    var masterKey = keys.masterKey().orElseThrow(() -> new IOException(
        "cannot sign the whitelist of " + fqrn + ": no master key at " + layout.masterKey(fqrn)));
    Instant now = clock.instant();
    Whitelist whitelist = new Whitelist(now, now.plus(validity), fqrn,
        List.of(Whitelist.fingerprint(keys.certificate(), options.hash())));
    writeServed(WHITELIST, whitelist.sign(options.hash(), Signatures.whitelistSigner(masterKey)).toBytes());
    return whitelist;
  }

  private Path reflogFile() {
    return layout.state(fqrn).resolve("reflog.db");
  }

  @Override
  public void close() throws IOException {
    try (lockChannel; storage; state; reflog) {
      lock.release();
    }
  }

  /** Opens or creates a repository. */
  public static final class Builder {
    private final DataLayout layout;
    private final String fqrn;
    private RepositoryOptions creationOptions = RepositoryOptions.DEFAULT;
    private Clock clock = Clock.systemUTC();
    private long minRevision;
    private StorageBackend storage = StorageBackend.LOCAL;

    private Builder(DataLayout layout, String fqrn) {
      this.layout = layout;
      this.fqrn = fqrn;
    }

    /** Options used only if the repository is created now; an existing one keeps its own. */
    public Builder creationOptions(RepositoryOptions options) {
      this.creationOptions = options;
      return this;
    }

    public Builder clock(Clock clock) {
      this.clock = clock;
      return this;
    }

    /** Where the repository is kept; the data directory alone by default. */
    public Builder storage(StorageBackend storage) {
      this.storage = storage;
      return this;
    }

    public Builder minRevision(long minRevision) {
      this.minRevision = minRevision;
      return this;
    }

    public Repository open() throws IOException {
      Path stateDirectory = Files.createDirectories(layout.state(fqrn));
      FileChannel lockChannel = FileChannel.open(stateDirectory.resolve("lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      FileLock lock;
      try {
        lock = lockChannel.tryLock();
      } catch (OverlappingFileLockException e) {
        lock = null;
      }
      if (lock == null) {
        lockChannel.close();
        throw new RepositoryLockedException("repository " + fqrn + " is in use by another process (lock "
            + stateDirectory.resolve("lock") + "); stop the server or the other publish first");
      }
      try {
        // Before the storage opens: the local one makes its scratch folders afresh.
        clearLeftovers(stateDirectory);
        RepositoryStorage opened = storage.open(layout, fqrn);
        try {
          return openLocked(stateDirectory, lockChannel, lock, opened);
        } catch (IOException | RuntimeException e) {
          opened.close();
          throw e;
        }
      } catch (IOException | RuntimeException e) {
        lockChannel.close();
        throw e;
      }
    }

    private Repository openLocked(Path stateDirectory, FileChannel lockChannel, FileLock lock, RepositoryStorage storage)
        throws IOException {
      Path served = Files.createDirectories(layout.served(fqrn));
      storage.restore(stateDirectory, served);
      Path optionsFile = stateDirectory.resolve("options.json");
      RepositoryOptions options;
      if (OptionsFile.exists(optionsFile)) {
        options = OptionsFile.read(optionsFile);
      } else {
        options = creationOptions;
        OptionsFile.write(optionsFile, options);
        storage.saveState("options.json", optionsFile);
      }
      boolean freshKeys = !RepositoryKeys.anyExist(layout, fqrn);
      RepositoryKeys keys = RepositoryKeys.loadOrCreate(layout, fqrn, clock.instant());
      ObjectStore objects = storage.objects();
      ObjectEncoder encoder = new ObjectEncoder(6);
      ContentHash certificateObject;
      try {
        byte[] pem = keys.certificatePem().getBytes(StandardCharsets.US_ASCII);
        certificateObject = objects.put(encoder.encode(pem, 0, pem.length, Compression.ZLIB, options.hash()),
            ObjectKind.CERTIFICATE, pem.length).hash();
      } finally {
        encoder.close();
      }
      StateStore state = StateStore.open(stateDirectory.resolve("state.db"));
      Reflog reflog = Reflog.open(stateDirectory.resolve("reflog.db"), fqrn);
      Repository repository = new Repository(this, lockChannel, lock, options, keys, freshKeys, storage, state, reflog,
          certificateObject);
      if (!Files.exists(served.resolve(MASTER_REPLICA))) {
        repository.writeServed(MASTER_REPLICA, new byte[0]);
      }
      if (!Files.exists(served.resolve(WHITELIST))) {
        repository.resignWhitelist(WHITELIST_VALIDITY);
      } else if (storage.isRemote()) {
        // One installed from a file before the repository opened is in the working directory only.
        repository.writeServed(WHITELIST, Files.readAllBytes(served.resolve(WHITELIST)));
      }
      repository.recover();
      return repository;
    }

    // What a crash (kill -9 included) leaves in scratch places; with the lock held nothing else
    // writes there. None of it may stop the start: see Leftovers.
    private void clearLeftovers(Path stateDirectory) {
      Leftovers leftovers = new Leftovers(stateDirectory.resolve("quarantine"));
      Path served = layout.served(fqrn);
      leftovers.clearFolder(served.resolve("data").resolve("txn"));
      // An atomic replacement writes .NAME.tmp next to NAME, in the served tree and in the state.
      leftovers.clearMatching(served, ".*.tmp");
      leftovers.clearMatching(stateDirectory, ".*.tmp");
      leftovers.clearFolder(layout.scratch(fqrn));
      // Finished uploads wait to be claimed; only the partial ones are scratch.
      leftovers.clearMatching(layout.uploads(fqrn), "*.part");
    }
  }

  // A crash between the state commit and the manifest swap leaves a committed revision unannounced.
  private void recover() throws IOException {
    Optional<Head> head = state.head();
    if (head.isEmpty()) {
      return;
    }
    Optional<Manifest> served = servedManifest();
    if (served.isPresent() && !served.get().certificate().equals(certificateObject)) {
      throw new IOException(storage.describe() + " serves a manifest signed with another certificate ("
          + served.get().certificate() + ", these keys make " + certificateObject + "): it holds another repository,"
          + " or keys other than the ones it was created with; refusing to overwrite it");
    }
    if (served.isEmpty() || !served.get().rootCatalog().equals(head.get().rootCatalog())
        || served.get().revision() != head.get().revision()) {
      publishManifest(head.get());
    }
  }
}
