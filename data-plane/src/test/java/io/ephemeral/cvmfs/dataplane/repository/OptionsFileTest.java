package io.ephemeral.cvmfs.dataplane.repository;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.ephemeral.cvmfs.common.format.HashAlgorithm;
import io.ephemeral.cvmfs.dataplane.format.ChunkingParameters;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The compression option in options.json: configured compression zlib or none, adaptive beside it. */
class OptionsFileTest {

  @TempDir
  Path temp;

  @ParameterizedTest
  @CsvSource({"zlib, zlib, true", "zlib-always, zlib, false", "none, none, false"})
  void eachCompressionSurvivesAndIsRecordedAsZlibOrNone(String option, String recorded, boolean adaptive)
      throws Exception {
    RepositoryOptions options = new RepositoryOptions(HashAlgorithm.SHA1, CompressionPolicy.fromConfigName(option),
        ChunkingParameters.DEFAULT, 240, 6);
    Path file = temp.resolve("options.json");
    OptionsFile.write(file, options);

    var json = new ObjectMapper().readTree(file.toFile());
    assertEquals(recorded, json.path("compression").asText());
    assertEquals(adaptive, json.path("adaptiveCompression").asBoolean());
    assertEquals(options, OptionsFile.read(file));
  }

  @Test
  void zlibRecordedBeforeAdaptiveCompressionExistedIsAdaptive() throws Exception {
    Path file = Files.writeString(temp.resolve("options.json"), """
        {"hash": "sha1", "compression": "zlib", "chunkMin": 4194304, "chunkAvg": 8388608, "chunkMax": 16777216,
         "manifestTtl": 240, "zlibLevel": 6}
        """);
    assertEquals(CompressionPolicy.ADAPTIVE, OptionsFile.read(file).compression());
  }
}
