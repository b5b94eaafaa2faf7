package io.ephemeral.cvmfs.dataplane.format;

import io.ephemeral.cvmfs.common.format.ContentHash;

/** One piece of a chunked file: its byte range in the plain file and its object (suffix P). */
public record Chunk(long offset, long size, ContentHash hash) {}
