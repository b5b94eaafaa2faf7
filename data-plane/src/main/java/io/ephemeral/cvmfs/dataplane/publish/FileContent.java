package io.ephemeral.cvmfs.dataplane.publish;

import io.ephemeral.cvmfs.common.format.ContentHash;
import io.ephemeral.cvmfs.dataplane.format.Chunk;
import java.util.List;

/**
 * Where a regular file's bytes went: one object ({@code chunks} empty) or a list of chunks
 * ({@code hash} null), plus how many objects were new.
 */
public record FileContent(long size, ContentHash hash, List<Chunk> chunks, int objectsWritten, int objectsReused) {}
