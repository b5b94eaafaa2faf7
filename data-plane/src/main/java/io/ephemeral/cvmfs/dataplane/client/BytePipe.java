package io.ephemeral.cvmfs.dataplane.client;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.util.Arrays;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Hands bytes from a writing thread to a reading one through a few chunks of memory, so that a
 * tar is produced only as fast as it is sent. Unlike {@link java.io.PipedInputStream} it does not
 * care which threads read (the HTTP client reads from its pool): either side ends it by closing,
 * and the writer's failure reaches the reader as a {@link SourceFailure}.
 */
final class BytePipe {

  static final int CHUNK = 64 * 1024;
  private static final byte[] END = new byte[0];

  private final BlockingQueue<byte[]> chunks = new ArrayBlockingQueue<>(16);
  private volatile boolean readerClosed;
  private volatile IOException writerFailure;

  private final OutputStream sink = new OutputStream() {
    private byte[] buffer = new byte[CHUNK];
    private int filled;
    private boolean closed;

    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] data, int offset, int length) throws IOException {
      while (length > 0) {
        int n = Math.min(length, CHUNK - filled);
        System.arraycopy(data, offset, buffer, filled, n);
        filled += n;
        offset += n;
        length -= n;
        if (filled == CHUNK) {
          put(buffer);
          buffer = new byte[CHUNK];
          filled = 0;
        }
      }
    }

    @Override
    public void close() throws IOException {
      if (!closed) {
        closed = true;
        if (filled > 0) {
          put(Arrays.copyOf(buffer, filled));
        }
        put(END);
      }
    }
  };

  private final InputStream source = new InputStream() {
    private byte[] current = new byte[0];
    private int position;
    private boolean ended;

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] target, int offset, int length) throws IOException {
      if (length == 0) {
        return 0;
      }
      while (position == current.length) {
        if (ended) {
          return -1;
        }
        try {
          current = chunks.take();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new InterruptedIOException("interrupted while waiting for the tar");
        }
        position = 0;
        if (current == END) {
          ended = true;
          if (writerFailure != null) {
            throw new SourceFailure("cannot read the source: " + writerFailure.getMessage(), writerFailure);
          }
        }
      }
      int n = Math.min(length, current.length - position);
      System.arraycopy(current, position, target, offset, n);
      position += n;
      return n;
    }

    @Override
    public void close() {
      readerClosed = true;
      chunks.clear();
    }
  };

  /** Where the writing thread writes; closing it ends the stream. */
  OutputStream sink() {
    return sink;
  }

  /** Where the reading thread reads; closing it makes the writer's next write fail. */
  InputStream source() {
    return source;
  }

  /** Ends the stream with {@code failure}, which the reader gets once it has read what came before. */
  void fail(IOException failure) {
    writerFailure = failure;
    try {
      put(END);
    } catch (IOException readerGone) {
      // nobody is left to tell
    }
  }

  private void put(byte[] chunk) throws IOException {
    try {
      while (!chunks.offer(chunk, 100, TimeUnit.MILLISECONDS)) {
        if (readerClosed) {
          throw new IOException("the upload stopped reading");
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while writing the tar");
    }
  }
}
