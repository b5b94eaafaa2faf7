package io.ephemeral.cvmfs.dataplane.storage;

import io.ephemeral.cvmfs.common.format.ContentHash;
import io.ephemeral.cvmfs.common.format.ObjectKind;

/**
 * An object in the store: its name, its size before encoding, its size as stored, and whether
 * this call wrote it or found it already present.
 */
public record StoredObject(ContentHash hash, ObjectKind kind, long size, long storedSize, boolean written) {}
