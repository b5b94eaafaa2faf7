package io.ephemeral.cvmfs.dataplane.bench;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.interceptor.SdkExecutionAttribute;

/**
 * Counts the S3 requests of this JVM by operation, retries included, so that a benchmark shows
 * how a collection talks to the store: how many listing pages, how many delete batches. The data
 * plane builds its S3 client itself; the SDK adds this to every client when the class path holds
 * {@code software/amazon/awssdk/global/handlers/execution.interceptors} naming this class, which
 * bench/s3.sh writes for the collecting JVM alone.
 */
public final class S3RequestCounter implements ExecutionInterceptor {

  private static final Map<String, LongAdder> COUNTS = new ConcurrentHashMap<>();

  @Override
  public void beforeTransmission(Context.BeforeTransmission context, ExecutionAttributes attributes) {
    COUNTS.computeIfAbsent(attributes.getAttribute(SdkExecutionAttribute.OPERATION_NAME), name -> new LongAdder())
        .increment();
  }

  /** The requests sent so far, by operation name. */
  public static Map<String, Long> counts() {
    Map<String, Long> counts = new TreeMap<>();
    COUNTS.forEach((name, count) -> counts.put(name, count.sum()));
    return counts;
  }
}
