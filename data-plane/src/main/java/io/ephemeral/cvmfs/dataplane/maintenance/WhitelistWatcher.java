package io.ephemeral.cvmfs.dataplane.maintenance;

import io.ephemeral.cvmfs.common.maintenance.InvalidWhitelistException;
import io.ephemeral.cvmfs.dataplane.DaemonTimer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves a whitelist maintained outside the data directory, such as a mounted Kubernetes
 * Secret. The file's content is polled: the kubelet updates a Secret by swapping a symlink to a
 * new directory, which file-change notification on the path does not report.
 */
public final class WhitelistWatcher implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(WhitelistWatcher.class);

  private final Path source;
  private final WhitelistInstaller installer;
  private final ScheduledExecutorService timer = DaemonTimer.named("whitelist-watcher");
  private byte[] lastSeen;

  private WhitelistWatcher(Path source, WhitelistInstaller installer) {
    this.source = source;
    this.installer = installer;
  }

  /** Installs the file now if it is valid, then checks it again every {@code interval}. */
  public static WhitelistWatcher start(Path source, WhitelistInstaller installer, Duration interval) {
    WhitelistWatcher watcher = new WhitelistWatcher(source, installer);
    watcher.poll();
    watcher.timer.scheduleWithFixedDelay(watcher::poll, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
    return watcher;
  }

  /** One check; an unchanged file is not checked twice, so a bad one is reported once. */
  synchronized void poll() {
    byte[] content;
    try {
      content = Files.readAllBytes(source);
    } catch (NoSuchFileException e) {
      return; // between the removal and the creation of a symlink swap
    } catch (IOException e) {
      LOG.warn("cannot read whitelist {}: {}", source, e.toString());
      return;
    }
    if (Arrays.equals(content, lastSeen)) {
      return;
    }
    lastSeen = content;
    try {
      if (installer.install(content)) {
        LOG.info("serving the whitelist from {}", source);
      }
    } catch (InvalidWhitelistException e) {
      LOG.warn("not serving the whitelist from {}: {}", source, e.getMessage());
    } catch (IOException e) {
      lastSeen = null; // try again next time
      LOG.warn("cannot install the whitelist from {}: {}", source, e.toString());
    }
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
