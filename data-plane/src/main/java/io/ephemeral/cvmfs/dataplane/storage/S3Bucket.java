package io.ephemeral.cvmfs.dataplane.storage;

import io.ephemeral.cvmfs.dataplane.format.ByteSlice;
import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Supplier;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4FamilyHttpSigner;
import software.amazon.awssdk.http.auth.spi.scheme.AuthSchemeOption;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.auth.scheme.S3AuthSchemeParams;
import software.amazon.awssdk.services.s3.auth.scheme.S3AuthSchemeProvider;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.ObjectCannedACL;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.S3Error;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * One bucket of S3-compatible object storage, as the storage classes use it: whole objects in
 * and out, conditional writes, listings and batched deletes. Every failure surfaces as an
 * {@link IOException} that says what was attempted on which bucket; throttling and transient
 * errors are retried with backoff by the SDK's standard strategy first.
 */
public final class S3Bucket implements AutoCloseable {

  /** Files larger than this go up in parts, each read from the file when sent: memory stays bounded. */
  static final long MULTIPART_THRESHOLD = 64L << 20;
  static final long PART_SIZE = 16L << 20;
  /** The most keys one DeleteObjects request takes. */
  static final int DELETE_BATCH = 1000;
  private static final int ATTEMPTS = 6;
  private static final S3AuthSchemeProvider DEFAULT_AUTH = S3AuthSchemeProvider.defaultProvider();

  private final S3Client client;
  private final S3Settings settings;

  private S3Bucket(S3Client client, S3Settings settings) {
    this.client = client;
    this.settings = settings;
  }

  /** Connects and checks that the bucket exists and these credentials reach it. */
  public static S3Bucket connect(S3Settings settings) throws IOException {
    S3ClientBuilder builder = S3Client.builder()
        .credentialsProvider(DefaultCredentialsProvider.builder().build())
        .forcePathStyle(settings.pathStyle())
        // Checksums only where S3 requires them: many S3-compatible stores refuse the newer
        // trailing-checksum uploads; the content is named by its digest and checked by clients anyway.
        .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
        .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
        .authSchemeProvider(S3Bucket::unsignedPayload)
        .httpClientBuilder(Apache5HttpClient.builder().maxConnections(64).connectionTimeout(Duration.ofSeconds(10)))
        .overrideConfiguration(c -> c.retryStrategy(retry -> retry.maxAttempts(ATTEMPTS)));
    if (settings.endpoint() != null) {
      builder.endpointOverride(settings.endpoint());
    }
    if (settings.region() != null) {
      builder.region(Region.of(settings.region()));
    } else if (settings.endpoint() != null && System.getenv("AWS_REGION") == null) {
      builder.region(Region.US_EAST_1);
    }
    S3Client client;
    try {
      client = builder.build();
    } catch (SdkException e) {
      throw new IOException("cannot set up the S3 client for " + settings.url() + ": " + e.getMessage(), e);
    }
    S3Bucket bucket = new S3Bucket(client, settings);
    try {
      bucket.call("reach the bucket", "", () -> client.headBucket(b -> b.bucket(settings.bucket())));
    } catch (IOException e) {
      client.close();
      throw e;
    }
    return bucket;
  }

  /**
   * Signs requests without hashing their bodies, as the SDK does over https anyway: over plain
   * http it would hash every upload (half the CPU of a large publish), and the objects are named
   * by their digest, which clients check.
   */
  private static List<AuthSchemeOption> unsignedPayload(S3AuthSchemeParams params) {
    return DEFAULT_AUTH.resolveAuthScheme(params).stream()
        .map(option -> option.toBuilder().putSignerProperty(AwsV4FamilyHttpSigner.PAYLOAD_SIGNING_ENABLED, false).build())
        .toList();
  }

  public S3Settings settings() {
    return settings;
  }

  /** The object's bytes, or empty if there is none. */
  public Optional<byte[]> get(String key) throws IOException {
    return getVersioned(key).map(Versioned::content);
  }

  /** The object's bytes with its entity tag, or empty if there is none. */
  public Optional<Versioned> getVersioned(String key) throws IOException {
    try {
      ResponseBytes<GetObjectResponse> bytes =
          call("read", key, () -> client.getObjectAsBytes(b -> b.bucket(settings.bucket()).key(key)));
      return Optional.of(new Versioned(bytes.asByteArray(), bytes.response().eTag()));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    }
  }

  /**
   * Streams the object, with its size.
   *
   * @throws NoSuchFileException if there is none
   */
  public ObjectStore.SizedStream openSized(String key) throws IOException {
    ResponseInputStream<GetObjectResponse> in =
        call("read", key, () -> client.getObject(b -> b.bucket(settings.bucket()).key(key)));
    return new ObjectStore.SizedStream(in.response().contentLength(), in);
  }

  /** The object's entity tag, or empty if there is none. */
  public Optional<String> etag(String key) throws IOException {
    try {
      return Optional.of(call("look up", key, () -> client.headObject(b -> b.bucket(settings.bucket()).key(key))).eTag());
    } catch (NoSuchFileException e) {
      return Optional.empty();
    }
  }

  /** The object's size, or empty if there is none. */
  public Optional<Long> size(String key) throws IOException {
    try {
      return Optional.of(call("look up", key, () -> client.headObject(b -> b.bucket(settings.bucket()).key(key)))
          .contentLength());
    } catch (NoSuchFileException e) {
      return Optional.empty();
    }
  }

  /** Stores bytes under {@code key}, replacing what is there. */
  public String put(String key, byte[] content, Exposure exposure) throws IOException {
    return put(key, content, exposure, Precondition.NONE);
  }

  /** Stores bytes under {@code key} if {@code precondition} holds; see {@link #put(String, List, String, Precondition)}. */
  public String put(String key, byte[] content, Exposure exposure, Precondition precondition) throws IOException {
    return put(key, List.of(new ByteSlice(content, 0, content.length)), exposure, precondition);
  }

  /**
   * Stores the concatenated slices under {@code key} if {@code precondition} holds.
   *
   * @return the new entity tag
   * @throws PreconditionFailedException if it does not hold
   */
  public String put(String key, List<ByteSlice> content, Exposure exposure, Precondition precondition) throws IOException {
    long length = ByteSlice.totalLength(content);
    RequestBody body = RequestBody.fromContentProvider(() -> concatenated(content), length, "application/octet-stream");
    return call("write", key, () -> client.putObject(request(key, exposure, precondition).contentLength(length).build(),
        body)).eTag();
  }

  /** Stores a file under {@code key}, in parts when it is large. */
  public void putFile(String key, Path file, long size, Exposure exposure) throws IOException {
    if (size <= MULTIPART_THRESHOLD) {
      call("write", key, () -> client.putObject(request(key, exposure, Precondition.NONE).contentLength(size).build(),
          RequestBody.fromContentProvider(() -> range(file, 0, size), size, "application/octet-stream")));
      return;
    }
    String upload = call("start a multipart upload of", key, () -> client.createMultipartUpload(b -> b
        .bucket(settings.bucket()).key(key).cacheControl(exposure.cacheControl())
        .acl(publicRead(exposure) ? ObjectCannedACL.PUBLIC_READ : null))).uploadId();
    try {
      List<CompletedPart> parts = new ArrayList<>();
      for (long offset = 0; offset < size; offset += PART_SIZE) {
        long first = offset;
        long length = Math.min(PART_SIZE, size - offset);
        int number = parts.size() + 1;
        String etag = call("write a part of", key, () -> client.uploadPart(b -> b.bucket(settings.bucket()).key(key)
            .uploadId(upload).partNumber(number).contentLength(length),
            RequestBody.fromContentProvider(() -> range(file, first, length), length, "application/octet-stream"))).eTag();
        parts.add(CompletedPart.builder().partNumber(number).eTag(etag).build());
      }
      call("complete the multipart upload of", key, () -> client.completeMultipartUpload(b -> b.bucket(settings.bucket())
          .key(key).uploadId(upload).multipartUpload(m -> m.parts(parts))));
    } catch (IOException | RuntimeException e) {
      try {
        call("abort the multipart upload of", key, () -> client.abortMultipartUpload(b -> b.bucket(settings.bucket())
            .key(key).uploadId(upload)));
      } catch (IOException abort) {
        e.addSuppressed(abort);
      }
      throw e;
    }
  }

  /** Calls {@code visitor} with every object whose key starts with {@code prefix}, a page at a time. */
  public void list(String prefix, Consumer<List<S3Object>> visitor) throws IOException {
    Page page = listPage(prefix, null);
    visitor.accept(page.objects());
    while (page.next() != null) {
      page = listPage(prefix, page.next());
      visitor.accept(page.objects());
    }
  }

  /** One page (up to 1,000 keys) of the objects whose key starts with {@code prefix}; {@code token} from the last. */
  public Page listPage(String prefix, String token) throws IOException {
    ListObjectsV2Response response = call("list", prefix, () -> client.listObjectsV2(b -> b.bucket(settings.bucket())
        .prefix(prefix).continuationToken(token)));
    return new Page(response.contents(), Boolean.TRUE.equals(response.isTruncated()) ? response.nextContinuationToken() : null);
  }

  /** Objects listed, and the token of the next page, {@code null} after the last. */
  public record Page(List<S3Object> objects, String next) {}

  /** Deletes {@code keys} in batches of {@value #DELETE_BATCH}; a key that is gone already counts as deleted. */
  public void delete(List<String> keys) throws IOException {
    for (int start = 0; start < keys.size(); start += DELETE_BATCH) {
      List<ObjectIdentifier> batch = keys.subList(start, Math.min(keys.size(), start + DELETE_BATCH)).stream()
          .map(key -> ObjectIdentifier.builder().key(key).build()).toList();
      List<S3Error> errors = call("delete objects under", settings.prefix(), () -> client.deleteObjects(b -> b
          .bucket(settings.bucket()).delete(d -> d.objects(batch).quiet(true)))).errors();
      if (!errors.isEmpty()) {
        S3Error first = errors.get(0);
        throw new IOException("cannot delete " + errors.size() + " objects from " + settings.url() + ", for example "
            + first.key() + ": " + first.code() + " " + first.message());
      }
    }
  }

  /** Deletes one object if its entity tag is still {@code etag}; false if it changed. */
  public boolean deleteIfMatch(String key, String etag) throws IOException {
    try {
      call("delete", key, () -> client.deleteObject(b -> b.bucket(settings.bucket()).key(key).ifMatch(etag)));
      return true;
    } catch (PreconditionFailedException | NoSuchFileException e) {
      return false;
    }
  }

  private PutObjectRequest.Builder request(String key, Exposure exposure, Precondition precondition) {
    PutObjectRequest.Builder request = PutObjectRequest.builder().bucket(settings.bucket()).key(key)
        .cacheControl(exposure.cacheControl());
    if (publicRead(exposure)) {
      request.acl(ObjectCannedACL.PUBLIC_READ);
    }
    return switch (precondition.kind()) {
      case NONE -> request;
      case ABSENT -> request.ifNoneMatch("*");
      case UNCHANGED -> request.ifMatch(precondition.etag());
    };
  }

  private boolean publicRead(Exposure exposure) {
    return settings.publicRead() && exposure != Exposure.PRIVATE;
  }

  private static InputStream concatenated(List<ByteSlice> content) {
    List<InputStream> streams = content.stream()
        .map(slice -> (InputStream) new ByteArrayInputStream(slice.array(), slice.offset(), slice.length())).toList();
    return new SequenceInputStream(Collections.enumeration(streams));
  }

  // A fresh stream per call: the SDK asks again when it retries.
  private static InputStream range(Path file, long offset, long length) {
    try {
      FileChannel channel = FileChannel.open(file, StandardOpenOption.READ).position(offset);
      return new BoundedInputStream(Channels.newInputStream(channel), length);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private <T> T call(String action, String key, Supplier<T> request) throws IOException {
    String target = "s3://" + settings.bucket() + "/" + key;
    try {
      return request.get();
    } catch (S3Exception e) {
      String code = e.awsErrorDetails() == null ? null : e.awsErrorDetails().errorCode();
      String detail = (code == null ? "" : code + ": ") + (e.awsErrorDetails() == null ? e.getMessage()
          : e.awsErrorDetails().errorMessage());
      switch (e.statusCode()) {
        case 404 -> {
          if ("NoSuchBucket".equals(code) || key.isEmpty()) {
            throw new IOException("the bucket " + settings.bucket() + " does not exist"
                + (settings.endpoint() == null ? "" : " at " + settings.endpoint()), e);
          }
          throw new NoSuchFileException(target);
        }
        case 403, 401 -> throw new IOException("cannot " + action + " " + target + ": access denied (HTTP "
            + e.statusCode() + (detail.isBlank() ? "" : ", " + detail) + "); check the credentials and the bucket policy", e);
        case 412, 409 -> throw new PreconditionFailedException("cannot " + action + " " + target
            + ": it was changed by someone else (HTTP " + e.statusCode() + ")");
        default -> throw new IOException("cannot " + action + " " + target + ": HTTP " + e.statusCode() + " " + detail, e);
      }
    } catch (SdkClientException e) {
      throw new IOException("cannot " + action + " " + target + ": " + e.getMessage(), e);
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
  }

  @Override
  public void close() {
    client.close();
  }

  /** At most {@code remaining} bytes of a stream: one part of a file. */
  private static final class BoundedInputStream extends FilterInputStream {
    private long remaining;

    BoundedInputStream(InputStream in, long length) {
      super(in);
      this.remaining = length;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (remaining <= 0) {
        return -1;
      }
      int n = in.read(b, off, (int) Math.min(len, remaining));
      if (n > 0) {
        remaining -= n;
      }
      return n;
    }
  }

  /** Who reads an object, and so how long caches may keep it and whether it is public. */
  public enum Exposure {
    /** A content-addressed object: immutable, cached as long as cvmfs_server's Apache configuration lets it be. */
    SERVED_OBJECT("public, max-age=259200"),
    /** A top-level file a client polls: the manifest, whitelist, reflog. */
    SERVED_FILE("public, max-age=61"),
    /** The data plane's own state and leases: never cached, never public. */
    PRIVATE("no-store");

    private final String cacheControl;

    Exposure(String cacheControl) {
      this.cacheControl = cacheControl;
    }

    String cacheControl() {
      return cacheControl;
    }
  }

  /** An object's content with the entity tag it had when read. */
  public record Versioned(byte[] content, String etag) {}

  /** What must hold for a conditional write. */
  public record Precondition(Kind kind, String etag) {
    public static final Precondition NONE = new Precondition(Kind.NONE, null);
    public static final Precondition ABSENT = new Precondition(Kind.ABSENT, null);

    public static Precondition unchanged(String etag) {
      return new Precondition(Kind.UNCHANGED, etag);
    }

    public enum Kind { NONE, ABSENT, UNCHANGED }
  }

  /** A conditional write or delete found the object changed. */
  public static final class PreconditionFailedException extends IOException {
    PreconditionFailedException(String message) {
      super(message);
    }
  }
}
