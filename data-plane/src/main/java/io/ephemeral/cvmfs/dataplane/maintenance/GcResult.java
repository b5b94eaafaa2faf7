package io.ephemeral.cvmfs.dataplane.maintenance;

/**
 * What one garbage collection did, or would have done in a dry run.
 *
 * @param objectsKept objects left in the store, including those written during the run
 * @param bytesKept their size on disk
 * @param revisionsPreserved root catalogs whose trees were kept
 */
public record GcResult(long objectsFreed, long bytesFreed, long objectsKept, long bytesKept, int revisionsPreserved,
    long durationMs, boolean dryRun) {}
