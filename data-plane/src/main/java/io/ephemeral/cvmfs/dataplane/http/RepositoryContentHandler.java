package io.ephemeral.cvmfs.dataplane.http;

import static io.netty.handler.codec.http.HttpResponseStatus.BAD_GATEWAY;
import static io.netty.handler.codec.http.HttpResponseStatus.OK;
import static io.netty.handler.codec.http.HttpResponseStatus.PARTIAL_CONTENT;
import static io.netty.handler.codec.http.HttpResponseStatus.REQUESTED_RANGE_NOT_SATISFIABLE;
import static io.netty.handler.codec.http.HttpVersion.HTTP_1_1;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.channel.DefaultFileRegion;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers {@code GET} and {@code HEAD} for the files of the served repositories,
 * {@code /cvmfs/<fqrn>/<file>}, and for {@code /cvmfs-meta/<fqrn>.pub|.crt|.conf}. Anything it
 * has nothing for is passed on, so that the end of the pipeline answers 404.
 *
 * <p>Only paths matching the exact names a CVMFS repository serves are looked up, so a request
 * can never reach a file outside a repository's tree. Headers follow the Apache configuration
 * of {@code cvmfs_server}: no {@code Last-Modified}, no {@code ETag}, conditional requests
 * answered in full, bodies sent exactly as stored.
 *
 * <p>Objects small enough for the {@link ObjectCache}, if there is one, are read into memory and
 * put there, so that the {@link CachedObjectResponder} answers the next requests for them.
 */
public final class RepositoryContentHandler extends RouteHandler {

  static final String CVMFS_TYPE = "application/x-cvmfs";
  static final String OBJECT_TYPE = "application/octet-stream";

  /** Route labels, after the method. */
  static final String FILE_ROUTE = "/cvmfs/{repo}/{file...}";
  static final String META_ROUTE = "/cvmfs-meta/{file}";

  private static final String FQRN = "[A-Za-z0-9][A-Za-z0-9._-]*";
  private static final Pattern REPOSITORY_FILE = Pattern.compile(
      "/cvmfs/(" + FQRN + ")/(\\.cvmfspublished|\\.cvmfswhitelist|\\.cvmfsreflog"
          + "|\\.cvmfs_master_replica|\\.cvmfs_status\\.json"
          + "|data/[0-9a-f]{2}/[0-9a-f]{38}(?:-rmd160|-shake128)?[CHPXM]?)");
  private static final Pattern META_FILE =
      Pattern.compile("/cvmfs-meta/((" + FQRN + ")\\.(?:pub|crt|conf))");

  private static final Logger LOG = LoggerFactory.getLogger(RepositoryContentHandler.class);
  private static final int STREAM_BLOCK = 256 * 1024;

  private final ServedRepositories repositories;
  private final ContentHeaders manifests;
  private final ContentHeaders objects;
  private final ObjectCache cache;

  /**
   * @param manifests headers of the {@code .cvmfs*} files and the meta files
   * @param objects headers of objects under {@code data/}
   * @param cache where small objects go once read, or {@code null} to send every object from its file
   */
  RepositoryContentHandler(
      ServedRepositories repositories, ContentHeaders manifests, ContentHeaders objects, ObjectCache cache) {
    this.repositories = Objects.requireNonNull(repositories, "repositories");
    this.manifests = Objects.requireNonNull(manifests, "manifests");
    this.objects = Objects.requireNonNull(objects, "objects");
    this.cache = cache;
  }

  @Override
  protected boolean onRequest(ChannelHandlerContext ctx, HttpRequest request) {
    boolean head = HttpMethod.HEAD.equals(request.method());
    if (!head && !HttpMethod.GET.equals(request.method())) {
      return false;
    }
    String path = path(request.uri());
    // The patterns cannot match a ".." component, only an fqrn containing "..": refuse that too.
    if (path.contains("..")) {
      return false;
    }
    Matcher m = REPOSITORY_FILE.matcher(path);
    if (m.matches()) {
      RequestFacts.of(ctx.channel()).route(request.method().name() + " " + FILE_ROUTE).repository(m.group(1));
      Optional<Path> root = repositories.root(m.group(1));
      if (root.isEmpty()) {
        return false;
      }
      String name = m.group(2);
      boolean object = name.startsWith("data/");
      Optional<RemoteObjects> remote = object ? repositories.remoteObjects(m.group(1)) : Optional.empty();
      if (remote.isPresent()) {
        return serveRemote(ctx, request, head, remote.get(), name, cache != null ? path : null);
      }
      return serveFile(ctx, request, head, root.get().resolve(name),
          object ? OBJECT_TYPE : CVMFS_TYPE, object ? objects : manifests, object && cache != null ? path : null);
    }
    m = META_FILE.matcher(path);
    if (m.matches()) {
      RequestFacts.of(ctx.channel()).route(request.method().name() + " " + META_ROUTE).repository(m.group(2));
      Optional<MetaFile> meta =
          repositories.meta(m.group(2), m.group(1), RequestHost.baseUrl(request, ctx.channel()).orElse(null));
      if (meta.isEmpty()) {
        return false;
      }
      serveBytes(ctx, request, head, meta.get().content(), meta.get().contentType(), manifests);
      return true;
    }
    return false;
  }

  /** Serves {@code file}; with a {@code cacheKey}, a small one is read into memory and cached under the key. */
  private boolean serveFile(ChannelHandlerContext ctx, HttpRequest request, boolean head,
      Path file, String contentType, ContentHeaders headers, String cacheKey) {
    // Stat before opening: a FIFO would block open(), a directory is not content, and a symlink
    // planted in the tree is not followed. O_NOFOLLOW on open then closes the race with a
    // symlink swapped in after the stat.
    FileChannel channel = null;
    long size;
    try {
      BasicFileAttributes attributes =
          Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      if (!attributes.isRegularFile()) {
        return false;
      }
      if (head) {
        size = attributes.size();
      } else {
        channel = FileChannel.open(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
        // The size of the open file: the path may have been replaced since the stat.
        size = channel.size();
        if (cacheKey != null && cache.admits(size)) {
          byte[] content = readFully(channel, (int) size);
          closeQuietly(channel);
          cache.put(cacheKey, content);
          serveBytes(ctx, request, false, content, contentType, headers);
          return true;
        }
      }
    } catch (IOException e) {
      closeQuietly(channel);
      return false;
    }

    ByteRange range = writeHead(ctx, request, size, contentType, headers);
    if (range == null) {
      closeQuietly(channel);
      return true;
    }
    if (channel != null && range.length() > 0) {
      // Zero-copy: sent with sendfile(2); the region closes the file once written or failed.
      ctx.write(new DefaultFileRegion(channel, range.first(), range.length()));
    } else {
      closeQuietly(channel);
    }
    ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
    return true;
  }

  /**
   * Serves an object from object storage: a small one read whole (and cached under {@code
   * cacheKey}), a large one passed on as it arrives, never more than the channel takes at a time.
   */
  private boolean serveRemote(ChannelHandlerContext ctx, HttpRequest request, boolean head, RemoteObjects remote,
      String name, String cacheKey) {
    Optional<RemoteObjects.Opened> opened;
    try {
      opened = remote.open(name);
    } catch (IOException e) {
      LOG.warn("cannot read {} from object storage: {}", name, e.getMessage());
      ctx.writeAndFlush(new DefaultFullHttpResponse(HTTP_1_1, BAD_GATEWAY, Unpooled.EMPTY_BUFFER))
          .addListener(ChannelFutureListener.CLOSE);
      return true;
    }
    if (opened.isEmpty()) {
      return false;
    }
    try (RemoteObjects.Opened object = opened.get()) {
      if (cacheKey != null && cache.admits(object.size())) {
        byte[] content = object.content().readNBytes((int) object.size());
        cache.put(cacheKey, content);
        serveBytes(ctx, request, head, content, OBJECT_TYPE, objects);
        return true;
      }
      ByteRange range = writeHead(ctx, request, object.size(), OBJECT_TYPE, objects);
      if (range == null) {
        return true;
      }
      if (!head) {
        streamRange(ctx, object.content(), range);
      }
      ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
    } catch (IOException e) {
      // The head is out: all that is left is to cut the response short.
      LOG.warn("reading {} from object storage failed midway: {}", name, e.getMessage());
      ctx.close();
    }
    return true;
  }

  private static void streamRange(ChannelHandlerContext ctx, InputStream content, ByteRange range) throws IOException {
    content.skipNBytes(range.first());
    long left = range.length();
    while (left > 0) {
      byte[] block = content.readNBytes((int) Math.min(STREAM_BLOCK, left));
      if (block.length == 0) {
        throw new IOException("object shorter than its size");
      }
      left -= block.length;
      // One block in flight at a time, so memory stays bounded whatever the client's pace. The
      // promise is the event loop's: one of this handler's executor would complete on this thread.
      ChannelPromise written = ctx.channel().newPromise();
      ctx.writeAndFlush(new DefaultHttpContent(Unpooled.wrappedBuffer(block)), written);
      if (!written.awaitUninterruptibly().isSuccess()) {
        throw new IOException("the client went away");
      }
    }
  }

  private static void serveBytes(ChannelHandlerContext ctx, HttpRequest request, boolean head,
      byte[] content, String contentType, ContentHeaders headers) {
    ByteRange range = writeHead(ctx, request, content.length, contentType, headers);
    if (range == null) {
      return;
    }
    if (!head && range.length() > 0) {
      ctx.write(new DefaultHttpContent(
          Unpooled.wrappedBuffer(content, (int) range.first(), (int) range.length())));
    }
    ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
  }

  /**
   * Writes the response head for a {@code size}-byte resource and returns the range the body
   * must carry, or answers 416 completely and returns {@code null}.
   */
  private static ByteRange writeHead(ChannelHandlerContext ctx, HttpRequest request, long size,
      String contentType, ContentHeaders contentHeaders) {
    ByteRange range = ByteRange.parse(request.headers().get(HttpHeaderNames.RANGE), size);
    if (range == ByteRange.UNSATISFIABLE) {
      FullHttpResponse response =
          new DefaultFullHttpResponse(HTTP_1_1, REQUESTED_RANGE_NOT_SATISFIABLE);
      response.headers()
          .set(HttpHeaderNames.CONTENT_RANGE, "bytes */" + size)
          .setInt(HttpHeaderNames.CONTENT_LENGTH, 0);
      ctx.writeAndFlush(response);
      return null;
    }
    HttpResponse response = new DefaultHttpResponse(HTTP_1_1, range == null ? OK : PARTIAL_CONTENT);
    if (range == null) {
      range = new ByteRange(0, size - 1);
    } else {
      response.headers().set(HttpHeaderNames.CONTENT_RANGE,
          "bytes " + range.first() + "-" + range.last() + "/" + size);
    }
    contentHeaders.apply(response.headers(), contentType, range.length());
    ctx.write(response);
    return range;
  }

  /** Reads all {@code size} bytes of {@code channel}; objects are renamed into place whole, so a shorter file is broken. */
  private static byte[] readFully(FileChannel channel, int size) throws IOException {
    ByteBuffer buffer = ByteBuffer.allocate(size);
    while (buffer.hasRemaining()) {
      if (channel.read(buffer, buffer.position()) < 0) {
        throw new IOException("object shorter than its size");
      }
    }
    return buffer.array();
  }

  private static void closeQuietly(FileChannel channel) {
    if (channel != null) {
      try {
        channel.close();
      } catch (IOException ignored) {
        // Read-only: nothing was lost.
      }
    }
  }
}
