package io.ephemeral.cvmfs.dataplane.publish.source;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * Tells its subclass about every failure of the wrapped stream before passing it on, so that a
 * failing input can be told apart from the corrupt data a decoder reports afterwards.
 */
abstract class FailureAwareInputStream extends FilterInputStream {

  FailureAwareInputStream(InputStream in) {
    super(in);
  }

  /** Called with each failure of the wrapped stream, before it is thrown on. */
  protected abstract void failed(IOException failure);

  @Override
  public int read() throws IOException {
    try {
      return in.read();
    } catch (IOException e) {
      failed(e);
      throw e;
    }
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    try {
      return in.read(b, off, len);
    } catch (IOException e) {
      failed(e);
      throw e;
    }
  }

  @Override
  public long skip(long n) throws IOException {
    try {
      return in.skip(n);
    } catch (IOException e) {
      failed(e);
      throw e;
    }
  }

  @Override
  public int available() throws IOException {
    try {
      return in.available();
    } catch (IOException e) {
      failed(e);
      throw e;
    }
  }
}
