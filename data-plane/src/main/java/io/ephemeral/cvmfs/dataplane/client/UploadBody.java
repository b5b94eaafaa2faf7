package io.ephemeral.cvmfs.dataplane.client;

import java.io.InputStream;

/**
 * The body of one upload attempt.
 *
 * @param stream the bytes, read once
 * @param length how many there are, or -1 when not known beforehand (a directory being tarred, stdin)
 */
public record UploadBody(InputStream stream, long length) {}
