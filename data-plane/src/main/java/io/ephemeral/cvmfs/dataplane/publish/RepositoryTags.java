package io.ephemeral.cvmfs.dataplane.publish;

import io.ephemeral.cvmfs.common.format.ObjectKind;
import io.ephemeral.cvmfs.dataplane.repository.Head;
import io.ephemeral.cvmfs.dataplane.repository.Publication;
import io.ephemeral.cvmfs.dataplane.repository.Repository;
import io.ephemeral.cvmfs.dataplane.repository.Tag;
import io.ephemeral.cvmfs.dataplane.storage.ObjectStore;
import java.io.IOException;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Named revisions of the served repositories, as {@code cvmfs_server tag} keeps them: a tag names
 * the current revision, clients mount it by name ({@code CVMFS_REPOSITORY_TAG}), garbage
 * collection keeps it, and a rollback publishes its publications again as a new revision.
 */
public final class RepositoryTags {

  /** What a tag name may be: a word of letters, digits, dots, dashes and underscores. */
  static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");
  /** Names {@code cvmfs_server} gives its own tags. */
  static final Set<String> RESERVED = Set.of("trunk", "trunk-previous");

  /** What a rollback did: the tag it went back to and the revision that now serves its publications. */
  public record Rollback(Tag tag, Head head, int publications) {}

  private final PublishService service;

  public RepositoryTags(PublishService service) {
    this.service = service;
  }

  public List<Tag> tags(String fqrn) throws IOException {
    return repository(fqrn).tags();
  }

  /**
   * Names the current revision of {@code fqrn}.
   *
   * @throws IllegalArgumentException for a name that is not one
   * @throws PublishException (conflict) for a name that is taken
   */
  public Tag tag(String fqrn, String name, String description) throws IOException {
    if (name == null || !NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("a tag name is 1 to 128 letters, digits, '.', '-' or '_', starting with a"
          + " letter or digit: '" + name + "' is not");
    }
    if (RESERVED.contains(name)) {
      throw new IllegalArgumentException("'" + name + "' is reserved for cvmfs_server's own tags");
    }
    try {
      return repository(fqrn).tag(name, description);
    } catch (IllegalStateException taken) {
      throw new PublishException(PublishException.Reason.CONFLICT, taken.getMessage());
    }
  }

  /** Removes a tag; what only it kept becomes garbage. */
  public void untag(String fqrn, String name) throws IOException {
    if (!repository(fqrn).untag(name)) {
      throw new PublishException(PublishException.Reason.NOT_FOUND, "no tag " + name + " in " + fqrn);
    }
  }

  /**
   * Publishes the publications of the tag {@code name} (those not expired yet) as a new revision,
   * in place of the live ones.
   */
  public Rollback rollback(String fqrn, String name) throws IOException {
    Publisher publisher = service.publisher(fqrn);
    Tag tag = find(fqrn, name).orElseThrow(() -> new PublishException(PublishException.Reason.NOT_FOUND,
        "no tag " + name + " in " + fqrn + "; only tagged revisions can be rolled back to"));
    ObjectStore objects = publisher.repository().objects();
    for (Publication publication : tag.publications()) {
      if (!publication.isFile() && !objects.contains(publication.catalog(), ObjectKind.CATALOG)) {
        throw new PublishException(PublishException.Reason.CONFLICT, "the catalog of " + publication.path()
            + " in tag " + name + " is no longer stored; nothing was changed");
      }
    }
    Head head = Publisher.await(publisher.committer().restore(tag.publications()));
    return new Rollback(tag, head, publisher.committer().publications().size());
  }

  private Optional<Tag> find(String fqrn, String name) throws IOException {
    return tags(fqrn).stream().filter(tag -> tag.name().equals(name)).findFirst();
  }

  private Repository repository(String fqrn) throws PublishException {
    return service.publisher(fqrn).repository();
  }
}
