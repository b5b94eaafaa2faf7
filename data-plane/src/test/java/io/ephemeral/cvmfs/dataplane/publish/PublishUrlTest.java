package io.ephemeral.cvmfs.dataplane.publish;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.ephemeral.cvmfs.dataplane.publish.source.InvalidSourceException;
import io.ephemeral.cvmfs.dataplane.repository.DataLayout;
import io.ephemeral.cvmfs.dataplane.repository.Repository;
import io.ephemeral.cvmfs.dataplane.testsupport.FixtureServer;
import io.ephemeral.cvmfs.dataplane.testsupport.Tars;
import io.ephemeral.cvmfs.dataplane.verify.RemoteRepository;
import io.ephemeral.cvmfs.dataplane.verify.RepositoryReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A publication from a URL keeps its download where nothing can outlive the call: never among
 * the staged uploads, whose ids a client would need to claim them, but in the scratch folder,
 * deleted when the publication ends either way and emptied at every start after a crash.
 */
class PublishUrlTest {

  private static final String FQRN = "url.example.org";

  @TempDir
  Path temp;

  private DataLayout layout;
  private ObjectPipeline pipeline;
  private Publisher publisher;
  private PublishService service;
  private FixtureServer origin;
  private Path served;

  @BeforeEach
  void start() throws IOException {
    layout = new DataLayout(temp.resolve("data"));
    pipeline = new ObjectPipeline(2, 16L << 20);
    publisher = Publisher.start(Repository.at(layout, FQRN).open(), pipeline);
    service = new PublishService(Map.of(FQRN, publisher), PublicationPolicy.DEFAULT, Clock.systemUTC());
    served = Files.createDirectories(temp.resolve("origin"));
    origin = FixtureServer.start().mount("/files", served);
  }

  @AfterEach
  void stop() throws IOException {
    origin.close();
    publisher.close();
    pipeline.close();
  }

  @Test
  void aPublishedDownloadLeavesNothingBehind() throws Exception {
    Files.write(served.resolve("good.tar"), Tars.tar().file("hello.txt", "hello\n").bytes());

    service.publishUrl(FQRN, "fetched", origin.uri("files/good.tar").toString(), null, null, null, false);

    assertEquals(List.of(), entries(layout.uploads(FQRN)));
    assertEquals(List.of(), entries(layout.scratch(FQRN)));
    try (FixtureServer repository = FixtureServer.serve(layout.dataDirectory());
        RepositoryReader reader = RepositoryReader.open(new RemoteRepository(repository.uri(FQRN)))) {
      assertArrayEquals("hello\n".getBytes(StandardCharsets.UTF_8), reader.readAllBytes("/fetched/hello.txt"));
    }
  }

  @Test
  void aDownloadThatCannotBePublishedLeavesNothingBehind() throws Exception {
    Files.writeString(served.resolve("not-an-archive.tar"), "plain text, no tar");
    Files.write(served.resolve("second.tar"), Tars.tar().file("two.txt", "two").bytes());
    service.publishUrl(FQRN, "taken", origin.uri("files/second.tar").toString(), null, null, null, false);

    assertThrows(InvalidSourceException.class, () -> service.publishUrl(FQRN, "bad",
        origin.uri("files/not-an-archive.tar").toString(), null, null, null, false));
    assertThrows(PublishException.class, () -> service.publishUrl(FQRN, "taken",
        origin.uri("files/second.tar").toString(), null, null, null, false));

    assertEquals(List.of(), entries(layout.uploads(FQRN)));
    assertEquals(List.of(), entries(layout.scratch(FQRN)));
  }

  private static List<String> entries(Path directory) throws IOException {
    if (!Files.isDirectory(directory)) {
      return List.of();
    }
    try (Stream<Path> list = Files.list(directory)) {
      return list.map(path -> path.getFileName().toString()).sorted().toList();
    }
  }
}
