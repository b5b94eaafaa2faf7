package io.ephemeral.cvmfs.dataplane.repository;

import io.ephemeral.cvmfs.common.format.ContentHash;

/** The newest committed revision: what the manifest announces. */
public record Head(long revision, long timestamp, ContentHash rootCatalog, long catalogSize) {}
