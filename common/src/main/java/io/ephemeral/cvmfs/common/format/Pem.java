package io.ephemeral.cvmfs.common.format;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Base64;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;

/** PEM armour for keys and certificates in the forms the CVMFS tools read and write (format.md 4). */
public final class Pem {

  private Pem() {}

  /** {@code BEGIN PUBLIC KEY}: X.509 SubjectPublicKeyInfo, the only form the client loads. */
  public static String publicKey(PublicKey key) {
    return armour("PUBLIC KEY", key.getEncoded());
  }

  /** {@code BEGIN PRIVATE KEY}: PKCS#8, as OpenSSL 3 writes it. */
  public static String privateKey(PrivateKey key) {
    return armour("PRIVATE KEY", key.getEncoded());
  }

  public static String certificate(X509Certificate certificate) {
    try {
      return armour("CERTIFICATE", certificate.getEncoded());
    } catch (java.security.cert.CertificateEncodingException e) {
      throw new IllegalArgumentException("certificate cannot be encoded", e);
    }
  }

  public static X509Certificate readCertificate(String pem) throws IOException {
    try {
      return (X509Certificate) CertificateFactory.getInstance("X.509")
          .generateCertificate(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)));
    } catch (CertificateException | ClassCastException e) {
      throw new IOException("not a PEM X.509 certificate: " + e.getMessage(), e);
    }
  }

  /** Reads a private key in PKCS#8 ({@code BEGIN PRIVATE KEY}) or PKCS#1 ({@code BEGIN RSA PRIVATE KEY}) form. */
  public static PrivateKey readPrivateKey(String pem) throws IOException {
    Object parsed = parse(pem);
    JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
    if (parsed instanceof PEMKeyPair pair) {
      return converter.getKeyPair(pair).getPrivate();
    }
    if (parsed instanceof PrivateKeyInfo info) {
      return converter.getPrivateKey(info);
    }
    throw new IOException("not a PEM private key");
  }

  public static PublicKey readPublicKey(String pem) throws IOException {
    if (parse(pem) instanceof SubjectPublicKeyInfo info) {
      return new JcaPEMKeyConverter().getPublicKey(info);
    }
    throw new IOException("not a PEM public key (expected BEGIN PUBLIC KEY)");
  }

  public static KeyPair keyPair(PrivateKey privateKey, PublicKey publicKey) {
    return new KeyPair(publicKey, privateKey);
  }

  private static Object parse(String pem) throws IOException {
    try (PEMParser parser = new PEMParser(new StringReader(pem))) {
      Object parsed = parser.readObject();
      if (parsed == null) {
        throw new IOException("no PEM object found");
      }
      return parsed;
    }
  }

  private static String armour(String type, byte[] der) {
    String base64 = Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der);
    return "-----BEGIN " + type + "-----\n" + base64 + "\n-----END " + type + "-----\n";
  }
}
