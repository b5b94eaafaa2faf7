package io.ephemeral.cvmfs.dataplane.publish;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ephemeral.cvmfs.dataplane.format.DirectoryEntry;
import io.ephemeral.cvmfs.dataplane.publish.source.InvalidSourceException;
import io.ephemeral.cvmfs.dataplane.repository.DataLayout;
import io.ephemeral.cvmfs.dataplane.repository.Repository;
import io.ephemeral.cvmfs.dataplane.testsupport.FixtureServer;
import io.ephemeral.cvmfs.dataplane.verify.RemoteRepository;
import io.ephemeral.cvmfs.dataplane.verify.RepositoryReader;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Container images published through the service, read back from what the repository serves. */
class PublishImageTest {

  private static final String FQRN = "images.example.org";

  @TempDir
  Path data;

  private ObjectPipeline pipeline;
  private Publisher publisher;
  private PublishService service;

  @BeforeEach
  void start() throws IOException {
    pipeline = new ObjectPipeline(2, 16L << 20);
    publisher = Publisher.start(Repository.at(new DataLayout(data), FQRN).open(), pipeline);
    service = new PublishService(Map.of(FQRN, publisher), PublicationPolicy.DEFAULT, Clock.systemUTC());
  }

  @AfterEach
  void stop() throws IOException {
    publisher.close();
    pipeline.close();
  }

  @Test
  void publishesTheFlattenedImage() throws Exception {
    byte[] lower = tar(out -> {
      dir(out, "etc/", 0700);
      file(out, "etc/hosts", "old");
      file(out, "etc/passwd", "root");
      dir(out, "dev/", 0755);
      special(out, "dev/null", TarConstants.LF_CHR);
    });
    byte[] upper = tar(out -> {
      file(out, "etc/hosts", "new");
      file(out, "etc/.wh.passwd", "");
    });
    byte[] archive = tar(out -> {
      file(out, "l1/layer.tar", lower);
      file(out, "l2/layer.tar", upper);
      file(out, "manifest.json", "[{\"Config\":\"c.json\",\"Layers\":[\"l1/layer.tar\",\"l2/layer.tar\"]}]");
    });

    PublishResult result = service.publish(FQRN, "images/app", new ByteArrayInputStream(archive),
        PublishFormat.DOCKER_ARCHIVE, null, false);
    assertEquals(1, result.skippedSpecialFiles());

    try (FixtureServer server = FixtureServer.start().mount("/cvmfs/" + FQRN, data.resolve(FQRN));
        RepositoryReader reader = RepositoryReader.open(new RemoteRepository(server.uri("cvmfs/" + FQRN)))) {
      assertEquals("new", new String(reader.readAllBytes("/images/app/etc/hosts"), StandardCharsets.UTF_8));
      assertFalse(reader.lookup("/images/app/etc/passwd").isPresent());
      assertFalse(reader.lookup("/images/app/dev/null").isPresent());
      // The lower layer's directory entry came after the upper layer's file beneath it.
      DirectoryEntry etc = reader.lookup("/images/app/etc").orElseThrow();
      assertEquals(0700, etc.mode() & 07777);
      assertTrue(reader.lookup("/images/app/dev").orElseThrow().isDirectory());
    }
    try (Stream<Path> left = Files.list(publisher.repository().scratch())) {
      assertEquals(List.of(), left.toList());
    }
  }

  @Test
  void refusesAnImageWithoutLayerList() throws Exception {
    byte[] archive = tar(out -> file(out, "index.json", "{\"schemaVersion\":2,\"manifests\":[]}"));
    InvalidSourceException e = assertThrows(InvalidSourceException.class, () -> service.publish(FQRN, "images/bad",
        new ByteArrayInputStream(archive), PublishFormat.OCI_ARCHIVE, null, false));
    assertTrue(e.getMessage().contains("index.json lists no image"), e::getMessage);
    assertTrue(service.publications(FQRN).isEmpty());
  }

  private interface TarWriter {
    void write(TarArchiveOutputStream out) throws IOException;
  }

  private static byte[] tar(TarWriter writer) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (TarArchiveOutputStream out = new TarArchiveOutputStream(bytes)) {
      writer.write(out);
    }
    return bytes.toByteArray();
  }

  private static TarArchiveEntry entry(String name, byte flag, int mode) {
    TarArchiveEntry e = new TarArchiveEntry(name, flag, true);
    e.setMode(mode);
    e.setLastModifiedTime(FileTime.from(Instant.ofEpochSecond(1_700_000_000L)));
    return e;
  }

  private static void dir(TarArchiveOutputStream out, String name, int mode) throws IOException {
    out.putArchiveEntry(entry(name, TarConstants.LF_DIR, mode));
    out.closeArchiveEntry();
  }

  private static void special(TarArchiveOutputStream out, String name, byte flag) throws IOException {
    out.putArchiveEntry(entry(name, flag, 0666));
    out.closeArchiveEntry();
  }

  private static void file(TarArchiveOutputStream out, String name, String content) throws IOException {
    file(out, name, content.getBytes(StandardCharsets.UTF_8));
  }

  private static void file(TarArchiveOutputStream out, String name, byte[] content) throws IOException {
    TarArchiveEntry e = entry(name, TarConstants.LF_NORMAL, 0644);
    e.setSize(content.length);
    out.putArchiveEntry(e);
    out.write(content);
    out.closeArchiveEntry();
  }
}
