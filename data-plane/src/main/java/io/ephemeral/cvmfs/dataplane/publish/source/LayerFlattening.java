package io.ephemeral.cvmfs.dataplane.publish.source;

import static io.ephemeral.cvmfs.dataplane.publish.source.EntryPaths.quote;

import io.ephemeral.cvmfs.dataplane.publish.source.ArchiveSource.Limits;
import io.ephemeral.cvmfs.dataplane.publish.source.ArchiveSource.SpecialFiles;
import io.ephemeral.cvmfs.dataplane.publish.source.SourceEntry.EntryType;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Applies the layers of an image as one tree, in one pass over them from the uppermost to the
 * lowest: an entry is handed to the visitor only when no upper layer decided its path, by
 * replacing it, whiting it out ({@code .wh.<name>}), making a directory above it opaque
 * ({@code .wh..wh..opq}) or putting a non-directory above it. The tree is held to the
 * {@link Limits}, and what upper layers hide to a budget of its own of the same size.
 */
final class LayerFlattening {

  private static final String WHITEOUT = ".wh.";
  private static final String OPAQUE = ".wh..wh..opq";
  /** The layers are held to the limits as a whole, here, not one by one. */
  private static final Limits PER_LAYER = new Limits(Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE);

  /** A layer to apply: how messages name it, and the file its tar is spooled to. */
  record Layer(String name, Path file) {}

  /** Fetches an image's layers into a spool directory of its own and lists them, lowest first. */
  @FunctionalInterface
  interface Spooler {
    List<Layer> spool(Path spool) throws IOException;
  }

  /**
   * Spools an image below {@code scratch} with {@code spooler}, hands out its flattened tree and
   * removes the spool, however the walk ends.
   *
   * @return how many devices and FIFOs of the tree were left out
   */
  static long flatten(Path scratch, Spooler spooler, TreeVisitor visitor, Limits limits) throws IOException {
    Path spool = Files.createTempDirectory(scratch, "image-");
    try {
      LayerFlattening flattening = new LayerFlattening(visitor, limits);
      flattening.run(spooler.spool(spool));
      deleteTree(spool);
      return flattening.skippedSpecialFiles();
    } catch (Throwable failure) {
      try {
        deleteTree(spool);
      } catch (IOException e) {
        failure.addSuppressed(e);
      }
      throw failure;
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

  private final TreeVisitor visitor;
  private final Limits limits;
  private final Map<String, Decision> decided = new HashMap<>();
  /** Paths whited out by upper layers, hidden with everything beneath them. */
  private final Set<String> whiteouts = new HashSet<>();
  /** Directories whose lower content upper layers hid; the directories themselves stay. */
  private final Set<String> opaque = new HashSet<>();
  private long entries;
  private long totalBytes;
  private long hiddenEntries;
  private long hiddenBytes;
  private long skippedSpecialFiles;

  LayerFlattening(TreeVisitor visitor, Limits limits) {
    this.visitor = visitor;
    this.limits = limits;
  }

  /**
   * How many devices and FIFOs of the flattened tree were left out; those that upper layers hide
   * do not count.
   */
  long skippedSpecialFiles() {
    return skippedSpecialFiles;
  }

  /** Hands out the tree of {@code layers}, listed from the lowest to the uppermost. */
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
        try (InputStream in = Files.newInputStream(layer.file())) {
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
      try (InputStream in = Files.newInputStream(layer.file())) {
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

  @FunctionalInterface
  private interface IoAction {
    void run() throws IOException;
  }
}
