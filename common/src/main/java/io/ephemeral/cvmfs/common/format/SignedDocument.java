package io.ephemeral.cvmfs.common.format;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The shape shared by manifest and whitelist (format.md 5.2, 6.2): a text body, the line {@code --},
 * the hash string of the body, and raw signature bytes to the end of the file.
 */
public record SignedDocument(byte[] body, String hashLine, byte[] signature) {

  private static final byte[] SEPARATOR = {'\n', '-', '-', '\n'};

  public SignedDocument {
    body = body.clone();
    signature = signature.clone();
  }

  /** Splits a signed file exactly as the client does: at the first {@code LF -- LF}. */
  public static SignedDocument parse(byte[] file) {
    int at = indexOf(file, SEPARATOR);
    if (at < 0) {
      throw new IllegalArgumentException("no '--' line: not a signed document");
    }
    int hashStart = at + SEPARATOR.length;
    int hashEnd = hashStart;
    while (hashEnd < file.length && file[hashEnd] != '\n') {
      hashEnd++;
    }
    if (hashEnd == file.length) {
      throw new IllegalArgumentException("no line end after the hash line");
    }
    return new SignedDocument(Arrays.copyOfRange(file, 0, at + 1),
        new String(file, hashStart, hashEnd - hashStart, StandardCharsets.US_ASCII),
        Arrays.copyOfRange(file, hashEnd + 1, file.length));
  }

  /** Hashes {@code body} with {@code algorithm} and signs the hash string with {@code signer}. */
  public static SignedDocument sign(byte[] body, HashAlgorithm algorithm, Signer signer) {
    String hashLine = algorithm.hash(body).toString();
    return new SignedDocument(body, hashLine, signer.sign(hashLine.getBytes(StandardCharsets.US_ASCII)));
  }

  @Override
  public byte[] body() {
    return body.clone();
  }

  @Override
  public byte[] signature() {
    return signature.clone();
  }

  public String bodyText() {
    return new String(body, StandardCharsets.US_ASCII);
  }

  /** Whether the hash line is the digest of the body, in the algorithm its length implies. */
  public boolean bodyMatchesHashLine() {
    try {
      ContentHash claimed = ContentHash.parse(hashLine);
      return claimed.algorithm().hash(body).equals(claimed);
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  public byte[] toBytes() {
    ByteArrayOutputStream out = new ByteArrayOutputStream(body.length + 64 + signature.length);
    out.writeBytes(body);
    out.writeBytes("--\n".getBytes(StandardCharsets.US_ASCII));
    out.writeBytes((hashLine + "\n").getBytes(StandardCharsets.US_ASCII));
    out.writeBytes(signature);
    return out.toByteArray();
  }

  private static int indexOf(byte[] data, byte[] pattern) {
    outer:
    for (int i = 0; i + pattern.length <= data.length; i++) {
      for (int j = 0; j < pattern.length; j++) {
        if (data[i + j] != pattern[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  /** Produces raw signature bytes over the ASCII hash string. */
  @FunctionalInterface
  public interface Signer {
    byte[] sign(byte[] hashString);
  }
}
