package io.ephemeral.cvmfs.common.format;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** Creates the key pairs and the self-signed certificate of a repository, as cvmfs_server does (format.md 4). */
public final class KeyGenerator {

  private static final int RSA_BITS = 2048;
  private static final SecureRandom RANDOM = new SecureRandom();
  // Asked for by name, not registered: the rest of the process keeps the JDK's providers.
  private static final BouncyCastleProvider BOUNCY_CASTLE = new BouncyCastleProvider();

  private KeyGenerator() {}

  public static KeyPair rsaKeyPair() {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA", BOUNCY_CASTLE);
      generator.initialize(RSA_BITS, RANDOM);
      return generator.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("RSA key generation unavailable", e);
    }
  }

  /** Self-signed X.509 v3 certificate, subject {@code CN=<fqrn> CernVM-FS Release Managers}. */
  public static X509Certificate selfSignedCertificate(String fqrn, KeyPair keyPair, Instant now, Duration validity) {
    String name = fqrn.length() > 30 ? fqrn.substring(0, 30) + "[...]" : fqrn;
    X500Name subject = new X500Name("CN=" + name + " CernVM-FS Release Managers");
    X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(subject, new BigInteger(64, RANDOM).abs(),
        Date.from(now), Date.from(now.plus(validity)), subject, keyPair.getPublic());
    try {
      return new JcaX509CertificateConverter().getCertificate(
          builder.build(new JcaContentSignerBuilder("SHA256withRSA").build(keyPair.getPrivate())));
    } catch (OperatorCreationException | GeneralSecurityException e) {
      throw new IllegalStateException("cannot create certificate for " + fqrn, e);
    }
  }
}
