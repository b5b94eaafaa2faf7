package io.ephemeral.cvmfs.dataplane.notify;

import io.ephemeral.cvmfs.common.format.Signatures;
import io.ephemeral.cvmfs.common.format.SignedDocument;
import io.ephemeral.cvmfs.common.maintenance.InvalidWhitelistException;
import io.ephemeral.cvmfs.common.maintenance.WhitelistCheck;
import io.ephemeral.cvmfs.dataplane.format.Manifest;
import io.ephemeral.cvmfs.dataplane.publish.Committer;
import io.ephemeral.cvmfs.dataplane.repository.Head;
import io.ephemeral.cvmfs.dataplane.repository.Repository;
import io.ephemeral.cvmfs.dataplane.repository.RepositoryKeys;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Announces the revisions of the repositories this process serves: each one it commits, and
 * those posted to the publish endpoint after checking them. A message is only announced if the
 * client will accept it (format.md 10.6, 11.3): a manifest for that repository, signed with its
 * certificate, not older than the current revision, with a valid whitelist listing the
 * certificate. Anything else would make every subscribed client fail its stream.
 */
public final class RevisionAnnouncer {

  /** A whitelist that expires sooner than this is not announced with: clients verify a little later. */
  public static final Duration WHITELIST_MARGIN = Duration.ofMinutes(5);

  private static final Logger LOG = LoggerFactory.getLogger(RevisionAnnouncer.class);

  private final NotificationHub hub;
  private final Map<String, Repository> repositories;
  private final Clock clock;

  public RevisionAnnouncer(NotificationHub hub, Collection<Repository> repositories, Clock clock) {
    this.hub = hub;
    this.repositories = repositories.stream().collect(Collectors.toUnmodifiableMap(Repository::fqrn, Function.identity()));
    this.clock = clock;
  }

  /**
   * Announces the revision {@code committer}'s repository serves now, so that subscribers get it
   * on connecting, and then every revision it commits, on the committer thread right after the
   * manifest swap. The fan-out only hands the message to each stream, so the committer is not
   * held up.
   */
  public void follow(Committer committer) {
    Repository repository = committer.repository();
    announceServedOrWarn(repository);
    committer.onRevision((Head head) -> announceServedOrWarn(repository));
  }

  private void announceServedOrWarn(Repository repository) {
    try {
      announceServed(repository);
    } catch (IOException | NotificationException | RuntimeException e) {
      // The revision is served whatever happens here: only its announcement is lost.
      LOG.warn("the current revision of {} is not announced: {}", repository.fqrn(), e.getMessage());
    }
  }

  /** Announces the manifest {@code repository} serves now. */
  public NotificationHub.Outcome announceServed(Repository repository) throws IOException, NotificationException {
    return announceServed(repository.fqrn(), repository.served(), repository.keys());
  }

  /**
   * Announces the manifest served from {@code served} for {@code fqrn}, a repository this process
   * may only follow: its keys are all it needs to check the whitelist.
   */
  public NotificationHub.Outcome announceServed(String fqrn, Path served, RepositoryKeys keys)
      throws IOException, NotificationException {
    byte[] bytes = Files.readAllBytes(served.resolve(Repository.MANIFEST));
    Manifest manifest = Manifest.parse(SignedDocument.parse(bytes));
    requireAnnounceableWhitelist(fqrn, served, keys);
    return hub.announce(ActivityMessage.of(fqrn, bytes, Instant.ofEpochSecond(manifest.timestamp())),
        manifest.revision());
  }

  /**
   * Checks a posted message and announces it: 404 for a repository not served here, 422 for a
   * manifest that does not parse, names another repository or does not verify with the
   * repository's certificate, 409 for a revision below the current one, 503 while the whitelist
   * is not fit to announce with. The same message twice is accepted and sent once.
   */
  public NotificationHub.Outcome announcePublished(ActivityMessage message) throws IOException, NotificationException {
    Repository repository = repositories.get(message.repository());
    if (repository == null) {
      throw NotificationException.unknownRepository(message.repository());
    }
    Manifest manifest = verifiedManifest(repository, message.manifest());
    long current = repository.head().map(Head::revision).orElse(0L);
    if (manifest.revision() < current) {
      throw stale(manifest.revision(), current);
    }
    requireAnnounceableWhitelist(repository.fqrn(), repository.served(), repository.keys());
    NotificationHub.Outcome outcome = hub.announce(message, manifest.revision());
    if (outcome == NotificationHub.Outcome.STALE) {
      throw stale(manifest.revision(), hub.revision(repository.fqrn()).orElse(current));
    }
    return outcome;
  }

  private static Manifest verifiedManifest(Repository repository, byte[] bytes) throws NotificationException {
    SignedDocument document;
    Manifest manifest;
    try {
      document = SignedDocument.parse(bytes);
      manifest = Manifest.parse(document);
    } catch (IllegalArgumentException e) {
      throw invalidManifest("the manifest does not parse: " + e.getMessage());
    }
    if (!repository.fqrn().equals(manifest.fqrn())) {
      throw invalidManifest("the manifest is for repository " + manifest.fqrn() + ", not " + repository.fqrn());
    }
    if (!document.bodyMatchesHashLine()
        || !Signatures.verifyManifest(document, repository.keys().certificate().getPublicKey())) {
      throw invalidManifest("the manifest signature does not verify with the certificate of " + repository.fqrn());
    }
    return manifest;
  }

  // Clients verify the whitelist with every notification: announce only while it holds, with a margin.
  private void requireAnnounceableWhitelist(String fqrn, Path served, RepositoryKeys keys)
      throws IOException, NotificationException {
    byte[] file = Files.readAllBytes(served.resolve(Repository.WHITELIST));
    try {
      new WhitelistCheck(fqrn, keys.masterPublicKey(), keys.certificate())
          .check(file, clock.instant().plus(WHITELIST_MARGIN));
    } catch (InvalidWhitelistException e) {
      throw new NotificationException(503, "whitelist_not_valid",
          "clients would reject a notification for " + fqrn + ": " + e.getMessage());
    }
  }

  private static NotificationException invalidManifest(String detail) {
    return new NotificationException(422, "invalid_manifest", detail);
  }

  private static NotificationException stale(long revision, long current) {
    return new NotificationException(409, "stale_revision",
        "revision " + revision + " is older than the current revision " + current);
  }
}
