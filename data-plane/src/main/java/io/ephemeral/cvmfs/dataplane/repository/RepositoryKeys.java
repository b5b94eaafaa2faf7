package io.ephemeral.cvmfs.dataplane.repository;

import io.ephemeral.cvmfs.common.format.KeyGenerator;
import io.ephemeral.cvmfs.common.format.Pem;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * The keys of one repository: the repository key and its certificate sign manifests; the master
 * key signs the whitelist and may be absent where only the public half is deployed.
 */
public record RepositoryKeys(
    PrivateKey repositoryKey, X509Certificate certificate, PublicKey masterPublicKey, Optional<PrivateKey> masterKey) {

  private static final Duration CERTIFICATE_VALIDITY = Duration.ofDays(365);

  /** Whether any key file of the repository exists. */
  public static boolean anyExist(DataLayout layout, String fqrn) {
    return Files.exists(layout.masterPublicKey(fqrn)) || Files.exists(layout.repositoryKey(fqrn))
        || Files.exists(layout.certificate(fqrn)) || Files.exists(layout.masterKey(fqrn));
  }

  /** Loads the keys, creating the missing ones that can be created without invalidating others. */
  public static RepositoryKeys loadOrCreate(DataLayout layout, String fqrn, Instant now) throws IOException {
    Files.createDirectories(layout.keys());
    Path masterKeyFile = layout.masterKey(fqrn);
    Path masterPublicFile = layout.masterPublicKey(fqrn);
    Path keyFile = layout.repositoryKey(fqrn);
    Path certificateFile = layout.certificate(fqrn);
    finishPair(masterKeyFile, masterPublicFile);
    finishPair(keyFile, certificateFile);
    if (!Files.exists(masterPublicFile)) {
      if (Files.exists(masterKeyFile)) {
        throw new IOException("master key " + masterKeyFile + " exists without its public key " + masterPublicFile);
      }
      KeyPair master = KeyGenerator.rsaKeyPair();
      writePair(masterKeyFile, Pem.privateKey(master.getPrivate()), "r--------",
          masterPublicFile, Pem.publicKey(master.getPublic()), "r--r--r--");
    }
    if (!Files.exists(keyFile) && !Files.exists(certificateFile)) {
      KeyPair repository = KeyGenerator.rsaKeyPair();
      X509Certificate certificate = KeyGenerator.selfSignedCertificate(fqrn, repository, now, CERTIFICATE_VALIDITY);
      writePair(keyFile, Pem.privateKey(repository.getPrivate()), "r--------",
          certificateFile, Pem.certificate(certificate), "r--r--r--");
    }
    return load(layout, fqrn);
  }

  /** Loads existing keys; the master private key is optional. */
  public static RepositoryKeys load(DataLayout layout, String fqrn) throws IOException {
    PrivateKey repositoryKey = Pem.readPrivateKey(read(layout.repositoryKey(fqrn)));
    X509Certificate certificate = Pem.readCertificate(read(layout.certificate(fqrn)));
    PublicKey masterPublicKey = Pem.readPublicKey(read(layout.masterPublicKey(fqrn)));
    Optional<PrivateKey> masterKey = Files.exists(layout.masterKey(fqrn))
        ? Optional.of(Pem.readPrivateKey(read(layout.masterKey(fqrn))))
        : Optional.empty();
    if (!certificate.getPublicKey().equals(publicOf(repositoryKey, certificate))) {
      throw new IOException("certificate " + layout.certificate(fqrn) + " does not match key " + layout.repositoryKey(fqrn));
    }
    return new RepositoryKeys(repositoryKey, certificate, masterPublicKey, masterKey);
  }

  public String certificatePem() {
    return Pem.certificate(certificate);
  }

  public String masterPublicKeyPem() {
    return Pem.publicKey(masterPublicKey);
  }

  // An RSA private key in PKCS#8 carries its public exponent; compare moduli through the certificate.
  private static PublicKey publicOf(PrivateKey key, X509Certificate certificate) {
    if (key instanceof java.security.interfaces.RSAPrivateKey rsa
        && certificate.getPublicKey() instanceof java.security.interfaces.RSAPublicKey pub
        && rsa.getModulus().equals(pub.getModulus())) {
      return pub;
    }
    return null;
  }

  private static String read(Path file) throws IOException {
    if (!Files.exists(file)) {
      throw new IOException("missing key file " + file);
    }
    return Files.readString(file, StandardCharsets.US_ASCII);
  }

  /**
   * Writes a pair of key files that only work together: both complete under temporary names
   * first, then renamed into place, {@code first} before {@code second}. A crash between the two
   * renames leaves {@code second} complete under its temporary name; {@link #finishPair} renames it
   * at the next start, which would otherwise find half a pair and refuse to start.
   */
  private static void writePair(Path first, String firstContent, String firstPermissions, Path second,
      String secondContent, String secondPermissions) throws IOException {
    writeTemporary(temporary(first), firstContent, firstPermissions);
    writeTemporary(temporary(second), secondContent, secondPermissions);
    Files.move(temporary(first), first, StandardCopyOption.ATOMIC_MOVE);
    Files.move(temporary(second), second, StandardCopyOption.ATOMIC_MOVE);
  }

  // A pair is only ever half renamed by writePair, so a first file with the second still temporary
  // means a creation that was cut off after its temporary files were complete.
  private static void finishPair(Path first, Path second) throws IOException {
    if (Files.exists(first) && !Files.exists(second) && Files.isRegularFile(temporary(second))) {
      Files.move(temporary(second), second, StandardCopyOption.ATOMIC_MOVE);
    }
  }

  private static Path temporary(Path file) {
    return file.resolveSibling(file.getFileName() + ".tmp");
  }

  private static void writeTemporary(Path temp, String content, String permissions) throws IOException {
    // What a crash left here may be read-only, which the owner cannot open for writing.
    Files.deleteIfExists(temp);
    try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      ByteBuffer buffer = ByteBuffer.wrap(content.getBytes(StandardCharsets.US_ASCII));
      while (buffer.hasRemaining()) {
        channel.write(buffer);
      }
      channel.force(true);
    }
    Files.setPosixFilePermissions(temp, PosixFilePermissions.fromString(permissions));
  }
}
