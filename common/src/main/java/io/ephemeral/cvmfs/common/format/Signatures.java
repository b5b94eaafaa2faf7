package io.ephemeral.cvmfs.common.format;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import javax.crypto.Cipher;

/**
 * The two RSA signatures of CVMFS: SHA1withRSA by the repository key over a manifest's hash
 * string (format.md 5.2), and raw PKCS#1 type-1 padding of the hash string by the master key for the
 * whitelist (format.md 6.2).
 */
public final class Signatures {

  private Signatures() {}

  public static SignedDocument.Signer manifestSigner(PrivateKey repositoryKey) {
    return hashString -> sign("SHA1withRSA", repositoryKey, hashString);
  }

  public static SignedDocument.Signer whitelistSigner(PrivateKey masterKey) {
    return hashString -> sign("NONEwithRSA", masterKey, hashString);
  }

  public static boolean verifyManifest(SignedDocument document, PublicKey certificateKey) {
    try {
      Signature verifier = Signature.getInstance("SHA1withRSA");
      verifier.initVerify(certificateKey);
      verifier.update(document.hashLine().getBytes(StandardCharsets.US_ASCII));
      return verifier.verify(document.signature());
    } catch (GeneralSecurityException e) {
      return false;
    }
  }

  /** Recovers the signed text like {@code RSA_public_decrypt} does and compares it with the hash line. */
  public static boolean verifyWhitelist(SignedDocument document, PublicKey masterKey) {
    try {
      Cipher rsa = Cipher.getInstance("RSA/ECB/PKCS1Padding");
      rsa.init(Cipher.DECRYPT_MODE, masterKey);
      byte[] recovered = rsa.doFinal(document.signature());
      return document.hashLine().equals(new String(recovered, StandardCharsets.US_ASCII));
    } catch (GeneralSecurityException e) {
      return false;
    }
  }

  private static byte[] sign(String algorithm, PrivateKey key, byte[] data) {
    try {
      Signature signature = Signature.getInstance(algorithm);
      signature.initSign(key);
      signature.update(data);
      return signature.sign();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot sign with " + algorithm + ": " + e.getMessage(), e);
    }
  }
}
