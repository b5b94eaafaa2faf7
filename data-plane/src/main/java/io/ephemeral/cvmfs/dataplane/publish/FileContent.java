package io.ephemeral.cvmfs.dataplane.publish;

import io.ephemeral.cvmfs.common.format.ContentHash;
import io.ephemeral.cvmfs.dataplane.format.Chunk;
import io.ephemeral.cvmfs.dataplane.format.Compression;
import java.util.List;

/**
 * Where a regular file's bytes went: one object ({@code chunks} empty) or a list of chunks
 * ({@code hash} null), how they are all stored, which the entry's flags say, plus how many
 * objects were new.
 */
public record FileContent(long size, ContentHash hash, List<Chunk> chunks, Compression compression, int objectsWritten,
    int objectsReused) {}
