package io.ephemeral.cvmfs.dataplane.verify;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ephemeral.cvmfs.dataplane.testsupport.FixtureServer;
import io.ephemeral.cvmfs.dataplane.testsupport.Fixtures;
import io.ephemeral.cvmfs.dataplane.testsupport.IndependentTools;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The reference repository passes the OpenSSL and sqlite3 checks of spec Appendix A. */
class IndependentToolsTest {

  @Test
  void servedReferenceRepositoryPasses() throws IOException {
    try (FixtureServer server = FixtureServer.serve(Fixtures.referenceRepo())) {
      List<String> done = IndependentTools.forUrl(server.uri(Fixtures.REFERENCE_FQRN), Fixtures.referenceMasterKey())
          .checkAll();
      assertTrue(done.contains("manifest signature: Verified OK"), done.toString());
      assertTrue(done.contains("whitelist signature: recovered the hash line; Signature Verified Successfully"),
          done.toString());
      assertTrue(done.contains("whitelist lists certificate fingerprint "
          + "AE:AF:7F:46:BA:E9:35:EC:3D:FE:AA:FC:A6:EE:E0:38:B3:4B:EC:A6"), done.toString());
      assertTrue(done.contains("root catalog: root row " + IndependentTools.ROOT_ROW + ", revision 1"), done.toString());
      assertTrue(done.contains("nested catalog /nested: root_prefix and size match"), done.toString());
    }
  }

  @Test
  void referenceDirectoryPasses() throws IOException {
    IndependentTools.forDirectory(Fixtures.referenceTree(), Fixtures.referenceMasterKey()).checkAll();
  }

  @Test
  void anotherMasterKeyFailsTheWhitelistCheck() throws IOException {
    IndependentTools tools = IndependentTools.forDirectory(Fixtures.referenceTree(), Fixtures.foreignMasterKey());
    assertThrows(AssertionError.class, tools::checkWhitelist);
  }
}
