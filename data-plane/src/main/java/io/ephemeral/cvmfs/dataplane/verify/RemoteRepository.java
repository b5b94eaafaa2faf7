package io.ephemeral.cvmfs.dataplane.verify;

import io.ephemeral.cvmfs.common.format.ContentHash;
import io.ephemeral.cvmfs.common.format.HashAlgorithm;
import io.ephemeral.cvmfs.common.format.ObjectKind;
import io.ephemeral.cvmfs.dataplane.format.Compression;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Optional;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * A repository as clients see it: a base URL such as {@code http://host:port/cvmfs/FQRN} under
 * which the manifest, the whitelist and the {@code data/} objects are served (format.md 3.1).
 *
 * <p>Objects are checked the way the client checks them (format.md 2.2): every received byte goes into
 * the hash that must equal the object's name, compressed objects are inflated, and the inflated
 * size must equal the size the referrer recorded. Instances are thread-safe.
 */
public final class RemoteRepository {

  /** Limit for the files at the repository root, which are small; guards against a runaway body. */
  private static final int MAX_ROOT_FILE = 64 << 20;
  private static final int BUFFER = 64 * 1024;

  private final URI base;
  private final String fqrn;
  private final HttpClient client;
  private final Duration requestTimeout;

  public RemoteRepository(URI base) {
    this(base, defaultClient(), Duration.ofMinutes(5));
  }

  /**
   * @param base repository URL; its last path segment is the repository name
   * @param requestTimeout how long to wait for the response headers of one request
   */
  public RemoteRepository(URI base, HttpClient client, Duration requestTimeout) {
    if (!"http".equalsIgnoreCase(base.getScheme()) && !"https".equalsIgnoreCase(base.getScheme())) {
      throw new IllegalArgumentException("repository URL '" + base + "' is not an http:// or https:// URL");
    }
    String text = base.toString();
    while (text.endsWith("/")) {
      text = text.substring(0, text.length() - 1);
    }
    this.base = URI.create(text);
    String path = this.base.getPath();
    if (path == null || path.isEmpty()) {
      throw new IllegalArgumentException("repository URL " + base + " has no path: expected http://HOST[:PORT]/cvmfs/FQRN");
    }
    this.fqrn = path.substring(path.lastIndexOf('/') + 1);
    this.client = client;
    this.requestTimeout = requestTimeout;
  }

  public static RemoteRepository of(String baseUrl) {
    return new RemoteRepository(URI.create(baseUrl));
  }

  /** Mirrors the client: HTTP/1.1 and no redirects, which the client treats as errors (format.md 3.2). */
  private static HttpClient defaultClient() {
    return HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .followRedirects(HttpClient.Redirect.NEVER)
        .connectTimeout(Duration.ofSeconds(10))
        .build();
  }

  public URI baseUri() {
    return base;
  }

  /** The repository name the URL implies: its last path segment, as the client's {@code @fqrn@}. */
  public String fqrn() {
    return fqrn;
  }

  public URI uri(String relativePath) {
    return URI.create(base + "/" + relativePath);
  }

  public URI objectUri(ContentHash hash, ObjectKind kind) {
    return uri(hash.objectPath(kind));
  }

  /** The raw bytes of {@code .cvmfspublished}. */
  public byte[] fetchManifest() throws IOException {
    return fetchFile(".cvmfspublished");
  }

  /** The raw bytes of {@code .cvmfswhitelist}. */
  public byte[] fetchWhitelist() throws IOException {
    return fetchFile(".cvmfswhitelist");
  }

  /** A file served as is, relative to the base URL, such as {@code .cvmfsreflog}. */
  public byte[] fetchFile(String relativePath) throws IOException {
    URI uri = uri(relativePath);
    try (InputStream body = open(uri)) {
      byte[] bytes = body.readNBytes(MAX_ROOT_FILE + 1);
      if (bytes.length > MAX_ROOT_FILE) {
        throw new IOException("GET " + uri + ": body exceeds " + MAX_ROOT_FILE + " bytes");
      }
      return bytes;
    }
  }

  /**
   * Downloads an object into memory after checking it.
   *
   * @param compression how a file or chunk object is stored, from the catalog flags; ignored for
   *     the kinds that are always zlib-compressed
   * @param expectedSize the plain size the referrer recorded, or -1 when none is recorded (as for
   *     the certificate)
   * @return the plain (inflated) content
   */
  public byte[] fetchObject(ContentHash hash, ObjectKind kind, Compression compression, long expectedSize)
      throws IOException {
    if (expectedSize > Integer.MAX_VALUE - 8) {
      throw new IOException("object " + hash + kind.suffix() + " of " + expectedSize + " bytes is too large for memory");
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(expectedSize < 0 ? BUFFER : (int) expectedSize);
    fetchObject(hash, kind, compression, expectedSize, out);
    return out.toByteArray();
  }

  /**
   * Downloads an object into {@code target} (replaced if present) after checking it; on failure
   * {@code target} is deleted.
   */
  public Path fetchObjectTo(ContentHash hash, ObjectKind kind, Compression compression, long expectedSize, Path target)
      throws IOException {
    boolean done = false;
    try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(target, StandardOpenOption.CREATE,
        StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE), BUFFER)) {
      fetchObject(hash, kind, compression, expectedSize, out);
      done = true;
    } finally {
      if (!done) {
        Files.deleteIfExists(target);
      }
    }
    return target;
  }

  /**
   * Streams an object's plain content into {@code sink} while checking it. The content is only
   * known to be good once this returns: on failure {@code sink} may have received part or all of
   * it, so callers that hand content on must buffer it first.
   *
   * @return the plain size
   * @throws VerificationException when the bytes do not hash to the object's name, do not inflate,
   *     or inflate to a size other than {@code expectedSize}
   * @throws HttpStatusException when the server answers with a status other than 2xx
   */
  public long fetchObject(ContentHash hash, ObjectKind kind, Compression compression, long expectedSize,
      OutputStream sink) throws IOException {
    URI uri = objectUri(hash, kind);
    boolean compressed = kind.alwaysCompressed() || compression == Compression.ZLIB;
    HashAlgorithm.Hasher hasher = hash.algorithm().newHasher();
    Decoder decoder = new Decoder(compressed, expectedSize, sink);
    try (InputStream body = open(uri)) {
      byte[] buffer = new byte[BUFFER];
      for (int n; (n = body.read(buffer)) >= 0; ) {
        hasher.update(buffer, 0, n);
        decoder.accept(buffer, n);
      }
    } finally {
      decoder.end();
    }
    String subject = "object " + hash + kind.suffix() + " (" + uri + ")";
    // A corrupt object usually fails to inflate as well; the hash is what the client reports, so
    // it takes precedence over decoding problems.
    ContentHash actual = new ContentHash(hash.algorithm(), hasher.digest());
    if (!actual.equals(hash)) {
      throw new VerificationException(subject + ": its bytes hash to " + actual + ", not to the object's name");
    }
    if (decoder.fault != null) {
      throw new VerificationException(subject + ": " + decoder.fault);
    }
    if (expectedSize >= 0 && decoder.plainSize != expectedSize) {
      throw new VerificationException(subject + ": " + (compressed ? "inflates to " : "has ") + decoder.plainSize
          + " bytes, expected " + expectedSize);
    }
    return decoder.plainSize;
  }

  private InputStream open(URI uri) throws IOException {
    HttpRequest request = HttpRequest.newBuilder(uri)
        .timeout(requestTimeout)
        .header("User-Agent", "cvmfs-ephemeral verify")
        .GET()
        .build();
    HttpResponse<InputStream> response;
    try {
      response = client.send(request, HttpResponse.BodyHandlers.ofInputStream());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted during GET " + uri);
    } catch (IOException e) {
      throw new IOException("GET " + uri + " failed: " + describe(e), e);
    }
    int status = response.statusCode();
    if (status / 100 != 2) {
      response.body().close();
      throw new HttpStatusException(uri, status);
    }
    // The client asks for no content coding and hashes the body as received (format.md 3.2).
    Optional<String> coding = response.headers().firstValue("Content-Encoding");
    if (coding.isPresent() && !coding.get().equalsIgnoreCase("identity")) {
      response.body().close();
      throw new VerificationException("GET " + uri + ": the server applied Content-Encoding: " + coding.get()
          + ", so a client would hash and inflate the encoded bytes");
    }
    return response.body();
  }

  /** The first message in the cause chain: the HTTP client often wraps a message-less exception. */
  private static String describe(Throwable failure) {
    for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
      if (cause.getMessage() != null && !cause.getMessage().isBlank()) {
        return cause.getMessage();
      }
    }
    for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
      if (cause instanceof ConnectException) {
        return "cannot connect (connection refused or host unreachable)";
      }
    }
    return failure.toString();
  }

  /**
   * Turns received bytes into plain content. Faults are recorded rather than thrown so that the
   * rest of the body is still hashed.
   */
  private static final class Decoder {
    private final Inflater inflater;
    private final long expectedSize;
    private final OutputStream sink;
    private final byte[] out;
    long plainSize;
    String fault;

    Decoder(boolean compressed, long expectedSize, OutputStream sink) {
      this.inflater = compressed ? new Inflater() : null;
      this.expectedSize = expectedSize;
      this.sink = sink;
      this.out = compressed ? new byte[BUFFER] : null;
    }

    void accept(byte[] data, int length) throws IOException {
      if (fault != null || length == 0) {
        return;
      }
      if (inflater == null) {
        emit(data, length);
        return;
      }
      if (inflater.finished()) {
        fault = "bytes follow the end of the zlib stream";
        return;
      }
      inflater.setInput(data, 0, length);
      try {
        while (fault == null) {
          int produced = inflater.inflate(out);
          if (produced > 0) {
            emit(out, produced);
          } else if (inflater.needsDictionary()) {
            fault = "the zlib stream needs a preset dictionary";
          } else if (inflater.finished()) {
            if (inflater.getRemaining() > 0) {
              fault = "bytes follow the end of the zlib stream";
            }
            return;
          } else {
            return; // needs more input
          }
        }
      } catch (DataFormatException e) {
        fault = "not a valid zlib stream (" + e.getMessage() + ")";
      }
    }

    private void emit(byte[] data, int length) throws IOException {
      plainSize += length;
      // Stop early on oversized content so that a bad object cannot fill memory or disk.
      if (expectedSize >= 0 && plainSize > expectedSize) {
        fault = (inflater == null ? "has" : "inflates to") + " more than the expected " + expectedSize + " bytes";
        return;
      }
      sink.write(data, 0, length);
    }

    void end() {
      if (inflater != null) {
        if (fault == null && !inflater.finished()) {
          fault = "the zlib stream is truncated";
        }
        inflater.end();
      }
    }
  }
}
