package io.ephemeral.cvmfs.operator.keys;

import io.ephemeral.cvmfs.common.format.KeyGenerator;
import io.ephemeral.cvmfs.common.format.Pem;
import java.io.IOException;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;

/** The master key pair of a repository, which signs its whitelists. */
public record MasterKey(PrivateKey privateKey, PublicKey publicKey) {

  public static MasterKey generate() {
    KeyPair pair = KeyGenerator.rsaKeyPair();
    return new MasterKey(pair.getPrivate(), pair.getPublic());
  }

  public static MasterKey fromPem(String privatePem, String publicPem) throws IOException {
    return new MasterKey(Pem.readPrivateKey(privatePem), Pem.readPublicKey(publicPem));
  }

  public String privatePem() {
    return Pem.privateKey(privateKey);
  }

  public String publicPem() {
    return Pem.publicKey(publicKey);
  }
}
