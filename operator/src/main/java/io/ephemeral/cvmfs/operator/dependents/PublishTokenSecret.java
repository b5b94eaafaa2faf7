package io.ephemeral.cvmfs.operator.dependents;

import io.ephemeral.cvmfs.operator.api.CvmfsRepository;
import io.ephemeral.cvmfs.operator.keys.SecretFiles;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Map;

/** The token that lets pipelines publish; the data plane reads it from the environment. */
public final class PublishTokenSecret extends CreatedOnceSecret {

  public static final String NAME = "token-secret";
  private static final SecureRandom RANDOM = new SecureRandom();

  public PublishTokenSecret() {
    super(NAME);
  }

  @Override
  String secretName(CvmfsRepository repository) {
    return RepositoryResources.tokenSecret(repository);
  }

  @Override
  Map<String, String> generate(CvmfsRepository repository, Context<CvmfsRepository> context) {
    byte[] token = new byte[32];
    RANDOM.nextBytes(token);
    return Map.of(RepositoryResources.TOKEN_KEY, SecretFiles.encode(HexFormat.of().formatHex(token)));
  }
}
