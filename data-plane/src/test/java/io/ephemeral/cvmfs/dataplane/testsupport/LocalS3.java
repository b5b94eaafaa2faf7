package io.ephemeral.cvmfs.dataplane.testsupport;

import io.ephemeral.cvmfs.dataplane.storage.S3Settings;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Stream;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.nio2blob.FilesystemNio2BlobStore;
import software.amazon.awssdk.services.s3.model.BucketCannedACL;
import software.amazon.awssdk.services.s3.model.CreateBucketRequest;

/**
 * A real S3 API server in this JVM: S3Proxy on a free loopback port, keeping buckets as
 * directories under {@code root} and checking AWS signatures against one key pair. The data
 * plane reaches it through the AWS SDK like any S3 endpoint, with the key pair from the SDK's
 * default chain (set here as the {@code aws.accessKeyId} and {@code aws.secretAccessKey}
 * system properties).
 */
public final class LocalS3 implements AutoCloseable {

  public static final String ACCESS_KEY = "cvmfs-test-access";
  public static final String SECRET_KEY = "cvmfs-test-secret";

  private final S3Proxy proxy;
  private final FilesystemNio2BlobStore store;
  private final Path root;

  private LocalS3(S3Proxy proxy, FilesystemNio2BlobStore store, Path root) {
    this.proxy = proxy;
    this.store = store;
    this.root = root;
  }

  /** Starts a server accepting the test key pair, and makes that pair the SDK's default. */
  public static LocalS3 start(Path root) throws Exception {
    System.setProperty("aws.accessKeyId", ACCESS_KEY);
    System.setProperty("aws.secretAccessKey", SECRET_KEY);
    return start(root, ACCESS_KEY, SECRET_KEY);
  }

  /** Starts a server accepting only {@code accessKey}/{@code secretKey}. */
  public static LocalS3 start(Path root, String accessKey, String secretKey) throws Exception {
    Files.createDirectories(root);
    FilesystemNio2BlobStore store = new FilesystemNio2BlobStore(root.toString());
    S3Proxy proxy = S3Proxy.builder().blobStore(store).endpoint(URI.create("http://127.0.0.1:0"))
        .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, accessKey, secretKey).build();
    proxy.start();
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (!"STARTED".equals(proxy.getState())) {
      if (System.nanoTime() > deadline) {
        proxy.stop();
        throw new IOException("S3Proxy did not start: " + proxy.getState());
      }
      Thread.sleep(10);
    }
    return new LocalS3(proxy, store, root);
  }

  public URI endpoint() {
    return URI.create("http://127.0.0.1:" + proxy.getPort());
  }

  /**
   * Creates {@code bucket}, readable by anyone as a stratum 0's web server is, and returns
   * path-style settings for {@code s3://bucket/prefix} here.
   */
  public S3Settings bucket(String bucket, String prefix) {
    store.createContainer(CreateBucketRequest.builder().bucket(bucket).acl(BucketCannedACL.PUBLIC_READ).build());
    return settings(bucket, prefix);
  }

  /** Settings for {@code s3://bucket/prefix} here, whether the bucket exists or not. */
  public S3Settings settings(String bucket, String prefix) {
    return new S3Settings(bucket, prefix, endpoint(), "us-east-1", true, true);
  }

  /** The directory holding the bucket's objects as files, one per key. */
  public Path bucketDirectory(String bucket) {
    return root.resolve(bucket);
  }

  /** The keys stored under {@code prefix} in {@code bucket}. */
  public Stream<String> keys(String bucket, String prefix) throws IOException {
    Path directory = bucketDirectory(bucket);
    Path start = directory.resolve(prefix);
    if (!Files.exists(start)) {
      return Stream.empty();
    }
    return Files.walk(start).filter(Files::isRegularFile).map(file -> directory.relativize(file).toString());
  }

  @Override
  public void close() throws Exception {
    proxy.stop();
  }
}
